// @vitest-environment jsdom
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { credential } from '../api/client';
import { OnboardPage } from './Onboard';

afterEach(() => vi.unstubAllGlobals());

describe('onboarding form', () => {
  it('validates as the user types, next to the field', async () => {
    const user = userEvent.setup();
    render(<OnboardPage />);
    const name = screen.getByLabelText('Name (required)');
    await user.type(name, 'Bad Name');
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(name).toHaveAccessibleDescription(/must start with a lower-case letter/);
    await user.clear(name);
    await user.type(name, 'good-name');
    expect(name).not.toHaveAttribute('aria-invalid');
  });

  it('shows the API errors next to the fields they name and the rest above the form', async () => {
    credential.set('admin', 'pw');
    const fetchMock = vi.fn(async () =>
      new Response(
        JSON.stringify({
          type: 'https://mayfly.dev/problems/validation',
          title: 'Invalid request',
          status: 422,
          detail: "clickConfig: line 1: unknown element class 'Foo'",
          errors: [
            { field: 'clickConfig', message: "line 1: unknown element class 'Foo'" },
            { field: 'ports[0].name', message: "port 'in' is not used by the configuration" },
            { field: '(body)', message: 'something about the whole body' },
          ],
        }),
        { status: 422, headers: { 'Content-Type': 'application/problem+json' } },
      ),
    );
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    render(<OnboardPage />);
    await user.type(screen.getByLabelText('Name (required)'), 'my-nf');
    await user.type(screen.getByLabelText('Click configuration (required)'), 'Foo -> Discard;');
    await user.click(screen.getByRole('button', { name: 'Onboard' }));

    await waitFor(() => expect(screen.getByLabelText('Click configuration (required)')).toHaveAttribute('aria-invalid', 'true'));
    expect(screen.getByLabelText('Click configuration (required)')).toHaveAccessibleDescription("line 1: unknown element class 'Foo'");
    expect(screen.getByLabelText('Port 1 name')).toHaveAccessibleDescription("port 'in' is not used by the configuration");
    expect(screen.getByTestId('onboard-error')).toHaveTextContent('(body): something about the whole body');
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/network-functions');
    expect(JSON.parse(init.body as string)).toMatchObject({ name: 'my-nf', ports: [{ name: 'in' }], resources: { memoryMiB: 16 } });
    expect((init.headers as Record<string, string>).Authorization).toBe(`Basic ${btoa('admin:pw')}`);

    // editing the field clears the API's message for it
    await user.type(screen.getByLabelText('Click configuration (required)'), ' ');
    expect(screen.getByLabelText('Click configuration (required)')).not.toHaveAttribute('aria-invalid');
  });

  it('fills the form from a pasted YAML document and reports syntax errors with the line', async () => {
    const user = userEvent.setup();
    render(<OnboardPage />);
    const doc = screen.getByLabelText('Descriptor document');
    await user.click(doc);
    await user.paste('name: fw\nversion: "3"\nports: [{name: access}, {name: core}]\nresources: {memoryMiB: 8}\nclickConfig: "x :: Null;"');
    await user.click(screen.getByRole('button', { name: 'Fill the form from this document' }));
    expect(screen.getByLabelText('Name (required)')).toHaveValue('fw');
    expect(screen.getByLabelText('Port 2 name')).toHaveValue('core');
    await user.clear(doc);
    await user.paste('name: [unclosed\nversion: 1');
    await user.click(screen.getByRole('button', { name: 'Fill the form from this document' }));
    expect(doc).toHaveAccessibleDescription(/^line \d+: /);
  });
});
