export { DirectorySource, type DirectorySourceOptions } from './sources/directory-source.js';
export { ConfigStore, isEmptyChange, type ConfigChange, type ConfigSnapshot } from './sources/config-store.js';
export { formatIssue, type ConfigIssue } from './sources/issue.js';
export { resourceKey, type AnyIstioResource, type IstioKind, type IstioResource } from './sources/istio-resource.js';
export { validateDocument } from './sources/validate-resource.js';
export { parseYamlDocuments } from './sources/yaml-documents.js';
