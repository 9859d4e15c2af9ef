import type { FieldError, Problem } from './types';

/** An API call that failed: the problem document (RFC 9457) in words, and per-field messages. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  readonly fields: Record<string, string[]>;

  constructor(status: number, problem: Problem) {
    super(problemSummary(status, problem));
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
    this.fields = fieldErrors(problem);
  }
}

/** The API's `errors[]` grouped by field path (`ports[0].name`, `resources.memoryMiB`, `(body)`). */
export function fieldErrors(problem: Problem | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of problem?.errors ?? []) {
    if (!e || typeof e.field !== 'string') continue;
    const key = normalizeField(e.field);
    (out[key] ??= []).push(e.message ?? 'invalid');
  }
  return out;
}

/** `ports.0.name` and `/ports/0/name` to `ports[0].name`; leading `$.` dropped. */
export function normalizeField(field: string): string {
  let f = field.trim();
  if (f.startsWith('$.')) f = f.slice(2);
  if (f.startsWith('/')) f = f.slice(1).replace(/\//g, '.');
  return f.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
}

/**
 * The messages for one form field: exact matches, plus errors on sub-paths
 * (`ports[0]` collects `ports[0].name`) when `includeChildren` is set.
 */
export function messagesFor(fields: Record<string, string[]>, path: string, includeChildren = false): string[] {
  const out = [...(fields[path] ?? [])];
  if (includeChildren) {
    for (const [k, v] of Object.entries(fields)) {
      if (k !== path && (k.startsWith(path + '.') || k.startsWith(path + '['))) out.push(...v.map((m) => `${k.slice(path.length).replace(/^\./, '')}: ${m}`));
    }
  }
  return out;
}

/** Field errors that no form field claims, for the summary above the form. */
export function unclaimed(fields: Record<string, string[]>, claimed: (field: string) => boolean): FieldError[] {
  const out: FieldError[] = [];
  for (const [field, msgs] of Object.entries(fields)) {
    if (!claimed(field)) msgs.forEach((message) => out.push({ field, message }));
  }
  return out;
}

/** One sentence for the user: detail if given, else title, else the HTTP status in words. */
export function problemSummary(status: number, problem: Problem | undefined): string {
  const words = STATUS_WORDS[status] ?? `Request failed (HTTP ${status})`;
  if (problem?.detail) return `${problem.title ?? words}: ${problem.detail}`;
  if (problem?.title) return problem.title;
  return words;
}

const STATUS_WORDS: Record<number, string> = {
  400: 'The request was malformed',
  401: 'Sign-in required',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'The request is too large',
  415: 'Unsupported content type',
  422: 'The input is invalid',
  500: 'The controller hit an internal error',
  502: 'The controller is not reachable',
  503: 'The controller is unavailable',
};

/** Reads a failed response body as a problem document, tolerating non-JSON bodies. */
export async function readProblem(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '');
  if (!text) return {};
  try {
    const p = JSON.parse(text);
    return typeof p === 'object' && p !== null ? (p as Problem) : { detail: String(p) };
  } catch {
    return { detail: text.length > 300 ? text.slice(0, 300) + '…' : text };
  }
}
