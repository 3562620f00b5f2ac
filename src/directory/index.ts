// Directory: extensions (service with the bulk path and the hot lookup), SIP passwords, the
// registrar's AccountSource and BindingStore over the database; the organisation (departments
// as a tree, employees with their extensions, external contacts) and an extension's devices.
export {
  ExtensionService,
  checkNumber,
  EXTENSION_NUMBER,
  EXTENSION_KINDS,
  FUNCTION_KINDS,
  RING_STRATEGIES,
  type Extension,
  type ExtensionKind,
  type ExtensionAccount,
  type ExtensionInput,
  type ExtensionPatch,
  type AddResult,
  type Page,
  type ProvisionOptions,
  type RingStrategy,
} from './extension-service.ts';
export { generateSipPassword, checkSipPassword, type RandomBytes } from './sip-password.ts';
export { DirectoryAccountSource } from './account-source.ts';
export { SqliteBindingStore, type RegistrationView } from './registration-store.ts';
export { extension, type ExtensionRow } from './schema.ts';
export { registration } from './registration-schema.ts';
export { DepartmentService, checkDepartmentName, splitDepartmentPath, MAX_DEPARTMENT_DEPTH, type Department, type DepartmentRef } from './department-service.ts';
export {
  EmployeeService,
  checkEmployeeNo,
  type Employee,
  type EmployeeInput,
  type EmployeePatch,
  type EmployeeChange,
  type EmployeeListOptions,
  type GivenExtension,
} from './employee-service.ts';
export { ContactService, numberKey, callNumberKey, directoryNumber, tenantNumberContext, type Contact, type ContactInput, type ContactPatch } from './contact-service.ts';
export { extensionDevices, type ExtensionDevices, type RegisteredDevice, type LiveLocation } from './extension-devices.ts';
export { department, employee, contact, contactNumber, type DepartmentRow, type EmployeeRow, type ContactRow } from './organisation-schema.ts';
