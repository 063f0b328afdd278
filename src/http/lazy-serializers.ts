// Fastify compiles a serializer (generated code, a few milliseconds each) for every response
// schema of every route before it serves: most of a tenth of a second at every start, and again in
// every test server. Compiled at a route's first answer with that status instead, they cost the
// start nothing and that one answer a few milliseconds. What they do is unchanged: the answer is
// still shaped, and filtered, by its schema.
import { SerializerSelector, type SerializerFactory } from '@fastify/fast-json-stringify-compiler';

export function lazySerializers(): SerializerFactory {
  const build = SerializerSelector();
  return (externalSchemas, options) => {
    const compile = build(externalSchemas, options);
    return (route) => {
      let serialize: ((data: unknown) => string) | undefined;
      return (data) => (serialize ??= compile(route))(data);
    };
  };
}
