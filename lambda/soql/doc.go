// Package soql is the small part of Salesforce's query language that
// caplab's live org answers: SELECT a field list (or COUNT()) FROM one
// object, WHERE comparisons joined by AND, ORDER BY, LIMIT. It parses a
// query, checks it against an object's fields, and runs it over records,
// with Salesforce's error codes and messages (MALFORMED_QUERY,
// INVALID_TYPE, INVALID_FIELD, INVALID_QUERY_FILTER_OPERATOR), the caret
// block included. Valid SOQL beyond the subset (OR, IN, LIKE, GROUP BY,
// relationship paths, subqueries…) is refused with MALFORMED_QUERY and a
// message that says caplab does not support it.
//
// It imports nothing of caplab's and does no I/O: records come from the
// caller as maps of field name to value.
package soql
