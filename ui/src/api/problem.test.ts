import { describe, expect, it } from 'vitest';
import { ApiError, fieldErrors, messagesFor, normalizeField, problemSummary, readProblem, unclaimed } from './problem';

describe('problem+json to field errors', () => {
  const p = {
    type: 'https://mayfly.dev/problems/validation',
    title: 'Invalid request',
    status: 422,
    detail: "ports[0].name: 'out' is not a port",
    errors: [
      { field: 'ports[0].name', message: "'out' is not a port of counter" },
      { field: 'resources.memoryMiB', message: 'must be between 1 and 65536' },
      { field: 'resources.memoryMiB', message: 'second message' },
      { field: '(body)', message: 'unknown field foo' },
    ],
  };

  it('groups messages by field path', () => {
    const f = fieldErrors(p);
    expect(f['ports[0].name']).toEqual(["'out' is not a port of counter"]);
    expect(f['resources.memoryMiB']).toEqual(['must be between 1 and 65536', 'second message']);
    expect(f['(body)']).toEqual(['unknown field foo']);
  });

  it('normalises other path notations to the JSON-path form', () => {
    expect(normalizeField('ports.1.name')).toBe('ports[1].name');
    expect(normalizeField('/ports/2/mac')).toBe('ports[2].mac');
    expect(normalizeField('$.clickConfig')).toBe('clickConfig');
    expect(normalizeField('rules[3].port')).toBe('rules[3].port');
  });

  it('collects child paths for a container field when asked', () => {
    const f = fieldErrors(p);
    expect(messagesFor(f, 'ports[0]')).toEqual([]);
    expect(messagesFor(f, 'ports[0]', true)).toEqual(["name: 'out' is not a port of counter"]);
  });

  it('lists errors no form field claims', () => {
    const f = fieldErrors(p);
    expect(unclaimed(f, (x) => x !== '(body)')).toEqual([{ field: '(body)', message: 'unknown field foo' }]);
  });

  it('says the problem in words', () => {
    expect(problemSummary(422, p)).toBe("Invalid request: ports[0].name: 'out' is not a port");
    expect(problemSummary(404, {})).toBe('Not found');
    expect(problemSummary(418, undefined)).toBe('Request failed (HTTP 418)');
    const e = new ApiError(409, { title: 'Conflict', detail: 'descriptor counter is in use' });
    expect(e.message).toBe('Conflict: descriptor counter is in use');
    expect(e.fields).toEqual({});
  });

  it('tolerates bodies that are not JSON', async () => {
    expect(await readProblem(new Response('<html>bad gateway</html>', { status: 502 }))).toEqual({ detail: '<html>bad gateway</html>' });
    expect(await readProblem(new Response('', { status: 500 }))).toEqual({});
    expect(fieldErrors({ errors: [null as never, { field: 'x', message: 'y' }] })).toEqual({ x: ['y'] });
  });
});
