export { createImporter, type Importer } from './service.js';
export { ImportBody } from './schema.js';
