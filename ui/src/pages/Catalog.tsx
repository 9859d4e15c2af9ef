import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { NfDescriptor } from '../api/types';
import { href } from '../router';

export function CatalogPage() {
  const [items, setItems] = useState<NfDescriptor[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.descriptors().then((p) => setItems(p.items), (e: Error) => setError(e.message));
  }, []);
  return (
    <section aria-labelledby="catalog-h">
      <div className="title-row">
        <h1 id="catalog-h" tabIndex={-1}>Catalog</h1>
        <a href={href.onboard} role="button">Onboard a descriptor</a>
      </div>
      {error ? <p role="alert">{error}</p> : null}
      {!items && !error ? <p aria-busy="true">Loading…</p> : null}
      {items ? (
        <div className="overflow-auto">
          <table className="striped">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Version</th>
                <th scope="col">Ports</th>
                <th scope="col">Memory</th>
                <th scope="col">Vendor</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.name}>
                  <td><a href={href.descriptor(d.name)}>{d.name}</a></td>
                  <td>{d.version}</td>
                  <td>{d.ports.map((p) => p.name).join(', ')}</td>
                  <td>{d.resources.memoryMiB} MiB</td>
                  <td>{d.vendor ?? ''}</td>
                  <td>{d.description ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

export function DescriptorPage({ name }: { name: string }) {
  const [d, setD] = useState<NfDescriptor | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.descriptor(name).then(setD, (e: Error) => setError(e.message));
  }, [name]);
  return (
    <section aria-labelledby="desc-h">
      <p className="crumbs"><a href={href.catalog}>Catalog</a> / descriptor</p>
      <h1 id="desc-h" tabIndex={-1}>{name}</h1>
      {error ? <p role="alert">{error}</p> : null}
      {d ? (
        <>
          <dl className="facts">
            <div><dt>Version</dt><dd>{d.version}</dd></div>
            <div><dt>Vendor</dt><dd>{d.vendor ?? '–'}</dd></div>
            <div><dt>Description</dt><dd>{d.description ?? '–'}</dd></div>
            <div><dt>Ports</dt><dd>{d.ports.map((p) => (p.description ? `${p.name} (${p.description})` : p.name)).join(', ')}</dd></div>
            <div><dt>Resources</dt><dd>{d.resources.memoryMiB} MiB, CPU weight {d.resources.cpuWeight ?? 100}, at most {d.resources.pidsMax ?? 16} processes</dd></div>
            <div><dt>Onboarded</dt><dd>{d.createdAt ? new Date(d.createdAt).toLocaleString() : '–'}</dd></div>
          </dl>
          <h2>Click configuration</h2>
          <pre className="code" tabIndex={0} aria-label="Click configuration"><code>{d.clickConfig}</code></pre>
        </>
      ) : null}
    </section>
  );
}
