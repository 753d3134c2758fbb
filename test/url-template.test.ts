import { describe, expect, it } from 'vitest';
import { requireFromRepo } from './helpers/paths';
import { typescript as ts } from './helpers/compile';

const { urlTemplate } = requireFromRepo('./dist/transformer/sites.js') as typeof import('../transformer/sites');

function templateOf(expression: string): string | undefined {
  const file = ts.createSourceFile('x.ts', `(${expression});`, ts.ScriptTarget.ES2022, true);
  const statement = file.statements[0] as import('typescript').ExpressionStatement;
  return urlTemplate(ts, statement.expression);
}

describe('url.template from the URL expression', () => {
  it.each([
    ['`${base}/users/${id}`', '/users/{id}'],
    ['`${base}/users/${user.id}/orders`', '/users/{id}/orders'],
    ["base + '/users/' + id", '/users/{id}'],
    ["base + '/items/' + id + '?page=' + page", '/items/{id}'],
    ['`${base}/health`', '/health'],
    ['`http://users.internal/users/${id}`', '/users/{id}'],
    ['`https://${host}:8443/v1/${kind}/${id}#top`', '/v1/{kind}/{id}'],
    ['`/users/${id}`', '/users/{id}'],
    ['`${base}/users/${encodeURIComponent(id)}`', '/users/{id}'],
    ["`${base}/users/${c.req.param('id')}`", '/users/{id}'],
    ['`${base}/users/${id.toString()}`', '/users/{id}'],
    ['`${base}/users/${pick(a, b)}`', '/users/{param}'],
    ['`${base}/files/${ids.join()}`', '/files/{ids}'],
  ])('%s → %s', (expression, template) => {
    expect(templateOf(expression)).toBe(template);
  });

  it.each([
    ["'http://users.internal/users/1'"],
    ['url'],
    ['`${base}${path}`'],
    ['`${base}?q=${q}`'],
    ['new URL(path, base)'],
  ])('%s has no template', (expression) => {
    expect(templateOf(expression)).toBeUndefined();
  });
});
