import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { NfDescriptor } from '../api/types';

/** The onboarding form's fields, as strings the inputs edit. */
export interface DescriptorDraft {
  name: string;
  version: string;
  description: string;
  vendor: string;
  ports: { name: string; description: string }[];
  memoryMiB: string;
  cpuWeight: string;
  pidsMax: string;
  clickConfig: string;
}

export const emptyDraft = (): DescriptorDraft => ({
  name: '', version: '1.0', description: '', vendor: '', ports: [{ name: 'in', description: '' }],
  memoryMiB: '16', cpuWeight: '', pidsMax: '', clickConfig: '',
});

/** Field paths in the API's terms (`resources.memoryMiB`, `ports[1].name`). */
export type Errors = Record<string, string[]>;

const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const PORT = /^[a-z][a-z0-9_-]{0,14}$/;

function intIn(v: string, lo: number, hi: number, field: string, errs: Errors, required: boolean) {
  if (v.trim() === '') {
    if (required) (errs[field] ??= []).push('is required');
    return;
  }
  if (!/^-?\d+$/.test(v.trim())) (errs[field] ??= []).push('must be a whole number');
  else {
    const n = Number(v);
    if (n < lo || n > hi) (errs[field] ??= []).push(`must be between ${lo} and ${hi}`);
  }
}

/** The rules of the NfDescriptor schema in api-spec/openapi.yaml, checked as the user types. */
export function validateDraft(d: DescriptorDraft): Errors {
  const e: Errors = {};
  const add = (f: string, m: string) => (e[f] ??= []).push(m);
  if (!d.name) add('name', 'is required');
  else if (!NAME.test(d.name)) add('name', 'must start with a lower-case letter and use only a-z, 0-9 and - (at most 63 characters)');
  if (!d.version.trim()) add('version', 'is required');
  else if (d.version.length > 64) add('version', 'must be at most 64 characters');
  if (d.description.length > 1024) add('description', 'must be at most 1024 characters');
  if (d.vendor.length > 128) add('vendor', 'must be at most 128 characters');
  if (d.ports.length > 16) add('ports', 'at most 16 ports');
  const seen = new Set<string>();
  d.ports.forEach((p, i) => {
    if (!p.name) add(`ports[${i}].name`, 'is required');
    else if (!PORT.test(p.name)) add(`ports[${i}].name`, 'must start with a lower-case letter and use only a-z, 0-9, _ and - (at most 15 characters)');
    else if (seen.has(p.name)) add(`ports[${i}].name`, `duplicate port name '${p.name}'`);
    seen.add(p.name);
    if (p.description.length > 256) add(`ports[${i}].description`, 'must be at most 256 characters');
  });
  intIn(d.memoryMiB, 1, 65536, 'resources.memoryMiB', e, true);
  intIn(d.cpuWeight, 1, 10000, 'resources.cpuWeight', e, false);
  intIn(d.pidsMax, 1, 4096, 'resources.pidsMax', e, false);
  if (!d.clickConfig.trim()) add('clickConfig', 'is required');
  else if (d.clickConfig.length > 262144) add('clickConfig', 'must be at most 256 KiB');
  return e;
}

export function toDescriptor(d: DescriptorDraft): NfDescriptor {
  const resources: NfDescriptor['resources'] = { memoryMiB: Number(d.memoryMiB) };
  if (d.cpuWeight.trim()) resources.cpuWeight = Number(d.cpuWeight);
  if (d.pidsMax.trim()) resources.pidsMax = Number(d.pidsMax);
  const out: NfDescriptor = {
    name: d.name,
    version: d.version,
    ports: d.ports.map((p) => (p.description ? { name: p.name, description: p.description } : { name: p.name })),
    resources,
    clickConfig: d.clickConfig,
  };
  if (d.description) out.description = d.description;
  if (d.vendor) out.vendor = d.vendor;
  return out;
}

/**
 * Reads a pasted descriptor (YAML, or JSON, which is YAML too) into a draft.
 * Returns the problem in words, with the line, when the text does not parse.
 */
export function parseDocument(text: string): { draft?: DescriptorDraft; error?: string } {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const line = e.linePos?.[0]?.line;
      return { error: `${line ? `line ${line}: ` : ''}${e.message.split('\n')[0]}` };
    }
    return { error: (e as Error).message };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { error: 'expected a descriptor object (name, version, ports, resources, clickConfig)' };
  const o = doc as Record<string, unknown>;
  const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const res = (typeof o.resources === 'object' && o.resources !== null ? o.resources : {}) as Record<string, unknown>;
  const ports = Array.isArray(o.ports) ? o.ports : [];
  return {
    draft: {
      name: str(o.name),
      version: str(o.version),
      description: str(o.description),
      vendor: str(o.vendor),
      ports: ports.map((p) =>
        typeof p === 'string' ? { name: p, description: '' } : { name: str((p as Record<string, unknown>)?.name), description: str((p as Record<string, unknown>)?.description) },
      ),
      memoryMiB: str(res.memoryMiB),
      cpuWeight: str(res.cpuWeight),
      pidsMax: str(res.pidsMax),
      clickConfig: str(o.clickConfig),
    },
  };
}

/** Every field path the form shows next to an input. */
export function formFieldPaths(d: DescriptorDraft): string[] {
  const out = ['name', 'version', 'description', 'vendor', 'ports', 'resources', 'resources.memoryMiB', 'resources.cpuWeight', 'resources.pidsMax', 'clickConfig'];
  d.ports.forEach((_, i) => out.push(`ports[${i}]`, `ports[${i}].name`, `ports[${i}].description`));
  return out;
}
