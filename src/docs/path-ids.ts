import type { OpenAPIObject, ParameterObject } from '@nestjs/swagger';

/** A real-looking id: importers (Postman, Insomnia) put it into the URL so every request can be sent. */
export const EXAMPLE_OBJECT_ID = '665f1c2e9b1e8a3f4c0d9876';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

/**
 * Every `{id}` in a path is an ObjectId that ParseObjectIdPipe checks. Stated here once for all routes,
 * typed with its pattern and an example, instead of an `@ApiParam` on each handler: Nest's scan
 * otherwise gives a bare `{type: string}`, which importers turn into `<string>` (answered 400 INVALID_ID).
 */
export function describePathIds(document: OpenAPIObject, pattern: string): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      for (const parameter of (operation?.parameters ?? []) as ParameterObject[]) {
        if (parameter.in !== 'path' || parameter.name !== 'id') continue;
        parameter.description ??= 'An id: 24 hexadecimal digits';
        parameter.schema = { type: 'string', pattern, example: EXAMPLE_OBJECT_ID };
        parameter.example = EXAMPLE_OBJECT_ID;
      }
    }
  }
  return document;
}
