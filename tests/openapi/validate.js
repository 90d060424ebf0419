// Validates an OpenAPI file (the first argument) against the OpenAPI schema and its own
// references, with a parser independent of the server; exits 1 with the reasons when invalid.
'use strict';
const SwaggerParser = require('@apidevtools/swagger-parser');

const file = process.argv[2];
if (!file) {
  console.error('usage: node validate.js FILE');
  process.exit(2);
}
SwaggerParser.validate(file)
  .then((api) => {
    console.log('%s: valid OpenAPI %s (%d paths)', file, api.openapi, Object.keys(api.paths).length);
  })
  .catch((error) => {
    // the schema check lists every enclosing object of a wrong value too: the first lines
    // name the innermost ones, which are the ones to fix
    const lines = String(error.message).split('\n');
    console.error('%s: %s', file, lines.slice(0, 12).join('\n'));
    if (lines.length > 12) console.error('(%d more lines)', lines.length - 12);
    process.exit(1);
  });
