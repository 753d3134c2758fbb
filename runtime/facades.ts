import type { Site } from './site';

/**
 * One facade per receiver and site, made on first use and kept while the receiver lives. Emitted code asks for the
 * facade at every call (`__autotrace.axios(site, api).get(…)`), so it is made once, not per call; per site, because
 * the facade's spans carry their site.
 */
export function facadesPerSite<R extends object, F>(make: (receiver: R, site: Site | undefined) => F): (receiver: R, site: Site | undefined) => F {
  const facades = new WeakMap<R, Map<string, F>>();
  return (receiver, site) => {
    const key = site ? `${site.file}:${site.line}:${site.column}` : '';
    let bySite = facades.get(receiver);
    if (!bySite) facades.set(receiver, (bySite = new Map()));
    let facade = bySite.get(key);
    if (facade === undefined) bySite.set(key, (facade = make(receiver, site)));
    return facade;
  };
}
