package soql

import "strings"

// Type is a field's data type, as describe names it.
type Type string

// Field types the live org's objects use.
const (
	ID        Type = "id"
	Reference Type = "reference"
	String    Type = "string"
	Picklist  Type = "picklist"
	Email     Type = "email"
	URL       Type = "url"
	Boolean   Type = "boolean"
	Int       Type = "int"
	Double    Type = "double"
	DateTime  Type = "datetime"
	Date      Type = "date"
)

// textual says whether values of the type are strings compared ignoring
// case (SOQL's = on text is case-insensitive).
func (t Type) textual() bool {
	return t == String || t == Picklist || t == Email || t == URL
}

// soapName is the type's name in Salesforce's filter messages.
func (t Type) soapName() string {
	switch t {
	case DateTime:
		return "dateTime"
	case ID, Reference:
		return "id"
	case Boolean, Int, Double, Date:
		return string(t)
	}
	return "string"
}

// Field is one field of an object. Fields can be filtered and sorted
// unless said otherwise (LoginHistory.Status, for one, can't be filtered).
type Field struct {
	Name          string
	Type          Type
	Custom        bool
	NotFilterable bool
	NotSortable   bool
}

// Object is a queryable object and its fields, in describe order.
type Object struct {
	Name   string
	Fields []Field
}

// Field is the field named name (case-insensitive), or nil.
func (o *Object) Field(name string) *Field {
	for i := range o.Fields {
		if strings.EqualFold(o.Fields[i].Name, name) {
			return &o.Fields[i]
		}
	}
	return nil
}

// Record is one record: field name (as the object spells it) to value:
// string, bool, int, int64, float64, time.Time, or nil (absent is nil too).
type Record map[string]any
