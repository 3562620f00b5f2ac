// The organisation behind the phones (R-DIR-1): departments as a tree, employees (the employee
// id gives the automatic numbering order, R-DIR-2), and external contacts with the employee who
// manages them. Extensions (schema.ts) belong to an employee, or are function extensions
// (operator, fax, meeting room) without one.
import { index, integer, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import { sql } from 'drizzle-orm';
import { tenant } from '../tenancy/schema.ts';

export const department = sqliteTable(
  'department',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: integer('tenant_id')
      .notNull()
      .references(() => tenant.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The parent department; null for a top-level one. */
    parentId: integer('parent_id').references((): AnySQLiteColumn => department.id, { onDelete: 'restrict' }),
    createdAt: integer('created_at').notNull(),
  },
  // top-level names (parent null) are kept unique by the service: SQLite's NULLs are distinct
  (t) => [uniqueIndex('department_tenant_parent_name').on(t.tenantId, t.parentId, t.name)],
);

export const employee = sqliteTable(
  'employee',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: integer('tenant_id')
      .notNull()
      .references(() => tenant.id, { onDelete: 'cascade' }),
    /** The company's employee id (as the company writes it); numbering follows its order. */
    employeeNo: text('employee_no').notNull(),
    name: text('name').notNull(),
    departmentId: integer('department_id').references(() => department.id, { onDelete: 'set null' }),
    mobile: text('mobile'),
    title: text('title'),
    /** Activated employees count for the number of digits (R-DIR-2) and get an extension. */
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('employee_tenant_no').on(t.tenantId, t.employeeNo),
    // search by name prefix (and the listing's order), ASCII letters in either case
    index('employee_tenant_name_nocase').on(t.tenantId, sql`${t.name} COLLATE NOCASE`),
    index('employee_department').on(t.departmentId),
  ],
);

export const contact = sqliteTable(
  'contact',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: integer('tenant_id')
      .notNull()
      .references(() => tenant.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    company: text('company'),
    /** The account manager (R-DIR-1). */
    ownerEmployeeId: integer('owner_employee_id').references(() => employee.id, { onDelete: 'set null' }),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('contact_tenant_name_nocase').on(t.tenantId, sql`${t.name} COLLATE NOCASE`)],
);

/** A contact's numbers, normalised (national form at home, E.164 abroad): calls find contacts by them. */
export const contactNumber = sqliteTable(
  'contact_number',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: integer('tenant_id').notNull(),
    contactId: integer('contact_id')
      .notNull()
      .references(() => contact.id, { onDelete: 'cascade' }),
    number: text('number').notNull(),
  },
  (t) => [index('contact_number_lookup').on(t.tenantId, t.number), index('contact_number_contact').on(t.contactId)],
);

export type DepartmentRow = typeof department.$inferSelect;
export type EmployeeRow = typeof employee.$inferSelect;
export type ContactRow = typeof contact.$inferSelect;
