// @ldclabs/cose-ts 1.5.0 ships ES modules whose relative imports omit the ".js" extension (written for bundlers).
// Node resolves ES modules only by their full name, so this resolve hook retries such an import with ".js".
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && relative && !specifier.endsWith('.js')) {
      return nextResolve(`${specifier}.js`, context);
    }

    throw error;
  }
}
