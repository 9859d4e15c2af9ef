import { describe, expect, it } from 'vitest';
import { emptyDraft, parseDocument, toDescriptor, validateDraft } from './descriptorForm';

describe('descriptor form validation', () => {
  const good = { ...emptyDraft(), name: 'my-nf', version: '1.0', clickConfig: 'FromDevice(in) -> Discard;' };

  it('accepts a valid draft', () => {
    expect(validateDraft(good)).toEqual({});
  });

  it('names each broken rule by its API field path', () => {
    const e = validateDraft({
      ...good,
      name: 'My NF',
      version: '',
      ports: [{ name: 'in', description: '' }, { name: 'in', description: '' }, { name: '9x', description: '' }],
      memoryMiB: '0',
      cpuWeight: 'abc',
      pidsMax: '5000',
      clickConfig: '  ',
    });
    expect(Object.keys(e).sort()).toEqual(
      ['clickConfig', 'name', 'ports[1].name', 'ports[2].name', 'resources.cpuWeight', 'resources.memoryMiB', 'resources.pidsMax', 'version'].sort(),
    );
    expect(e['ports[1].name'][0]).toContain("duplicate port name 'in'");
    expect(e['resources.memoryMiB'][0]).toBe('must be between 1 and 65536');
    expect(e['resources.cpuWeight'][0]).toBe('must be a whole number');
  });

  it('limits ports to 16', () => {
    const ports = Array.from({ length: 17 }, (_, i) => ({ name: `p${i}`, description: '' }));
    expect(validateDraft({ ...good, ports }).ports).toEqual(['at most 16 ports']);
  });

  it('reads YAML and JSON documents into the form', () => {
    const y = parseDocument('name: fw\nversion: "2"\nports:\n  - name: access\n  - name: core\nresources: {memoryMiB: 8, pidsMax: 4}\nclickConfig: |\n  a :: Null;\n');
    expect(y.error).toBeUndefined();
    expect(y.draft).toMatchObject({ name: 'fw', version: '2', memoryMiB: '8', pidsMax: '4', cpuWeight: '' });
    expect(y.draft!.ports.map((p) => p.name)).toEqual(['access', 'core']);
    expect(y.draft!.clickConfig).toBe('a :: Null;\n');
    const j = parseDocument('{"name":"x","version":"1","ports":[{"name":"in"}],"resources":{"memoryMiB":1},"clickConfig":"c"}');
    expect(toDescriptor(j.draft!)).toEqual({ name: 'x', version: '1', ports: [{ name: 'in' }], resources: { memoryMiB: 1 }, clickConfig: 'c' });
  });

  it('reports a syntax error with its line', () => {
    const r = parseDocument('name: x\nports: [\n  {name: in\nversion: 1');
    expect(r.draft).toBeUndefined();
    expect(r.error).toMatch(/^line \d+: /);
    expect(parseDocument('- a\n- b').error).toContain('expected a descriptor object');
  });
});
