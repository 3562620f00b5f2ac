// Automatic extension numbering (SPEC R-DIR-2): the pure rules (digit count, giving order,
// employee-id order, the allocator) and the service that numbers a tenant's employees.
export {
  assignExtensionNumbers,
  candidateNumbers,
  compareEmployeeNo,
  digitsFor,
  spaceSize,
  ExhaustedError,
  NumberAllocator,
  FIRST_DIGITS,
  MIN_DIGITS,
  MAX_DIGITS,
} from './extension-numbering.ts';
export { ExtensionNumbering, displayNameOf, type AssignResult, type NumberingOptions } from './numbering-service.ts';
