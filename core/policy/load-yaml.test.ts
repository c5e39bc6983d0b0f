import { describe, expect, it } from 'vitest';
import { loadPolicyYaml } from './load-yaml.ts';
import { errorLines } from '../../test/support/compile-yaml.ts';

describe('loadPolicyYaml', () => {
  it('reads several documents per file, skipping empty ones, and locates nodes by field path', () => {
    const text = '---\napiVersion: weft/v1\nkind: Service\nmetadata: { name: a }\nspec:\n  port: 80\n---\n---\nkind: Route\nspec:\n  rules:\n    - name: x\n';
    const { documents, errors } = loadPolicyYaml('f.yaml', text);
    expect(errors).toEqual([]);
    expect(documents.map((d) => d.index)).toEqual([0, 2]);
    expect(documents[0]?.locate(['spec', 'port'])).toEqual({ line: 6, column: 9 });
    expect(documents[1]?.locate(['spec', 'rules', 0, 'name'])).toEqual({ line: 12, column: 13 });
    // A missing field points at the nearest existing parent.
    expect(documents[1]?.locate(['spec', 'rules', 0, 'backends', 3])).toEqual({ line: 12, column: 7 });
  });

  it('rejects duplicate keys with their position', () => {
    const { errors } = loadPolicyYaml('dup.yaml', 'apiVersion: weft/v1\nkind: Service\nkind: Route\n');
    expect(errors).toEqual([expect.objectContaining({ file: 'dup.yaml', line: 3, column: 1, code: 'yaml', message: 'invalid YAML: Map keys must be unique' })]);
  });

  it('reports syntax errors with their position and keeps the other documents', () => {
    const { documents, errors } = loadPolicyYaml('bad.yaml', 'a: 1\n---\nb: [1, 2\n---\nc: 3\n');
    expect(errors[0]).toMatchObject({ file: 'bad.yaml', line: 4, code: 'yaml' });
    expect(errors[0]?.message).toMatch(/^invalid YAML: /);
    expect(documents.map((d) => d.value)).toEqual([{ a: 1 }, { c: 3 }]);
  });

  it('reports documents that are not policy documents, and unknown kinds', () => {
    expect(errorLines('- just\n- a list\n')).toEqual(['test.yaml:1:1: expected a mapping with apiVersion, kind, metadata and spec']);
    expect(errorLines('apiVersion: v2\nkind: Route\n')).toEqual(['test.yaml:1:13: apiVersion: expected apiVersion "weft/v1", got "v2"']);
    expect(errorLines('apiVersion: weft/v1\nkind: VirtualService\n')).toEqual([
      'test.yaml:2:7: kind: unknown kind "VirtualService"; expected one of Mesh, Service, Route, Authentication, AccessPolicy, RateLimit',
    ]);
    expect(errorLines('apiVersion: weft/v1\nkind: Service\nmetadata: { name: a }\n')).toEqual(['test.yaml:1:1: spec: required field is missing (expected object)']);
  });

  it('does not turn YAML 1.1 words into booleans (the "Norway problem")', () => {
    const { documents } = loadPolicyYaml('n.yaml', 'country: NO\nanswer: yes\n');
    expect(documents[0]?.value).toEqual({ country: 'NO', answer: 'yes' });
  });
});
