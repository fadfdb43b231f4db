package httpapi

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/caplab/caplab/lambda/soql"
	"github.com/caplab/caplab/policy"
)

// restSObjects is /sobjects (describeGlobal), /sobjects/{Type} (basic
// information), /sobjects/{Type}/describe and /sobjects/{Type}/{id}.
func (s *Server) restSObjects(w http.ResponseWriter, r *http.Request, v *viewer, base string, parts []string) {
	if len(parts) == 0 || parts[0] == "" {
		globals := make([]map[string]any, 0, len(objectDefs))
		for _, d := range objectDefs {
			globals = append(globals, globalDescribe(d, base))
		}
		writeJSON(w, http.StatusOK, map[string]any{"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": globals})
		return
	}
	def := objectNamed(parts[0])
	switch {
	case def == nil:
		notFound(w)
	case len(parts) == 1:
		writeJSON(w, http.StatusOK, map[string]any{"objectDescribe": globalDescribe(def, base), "recentItems": []any{}})
	case parts[1] == "describe":
		writeJSON(w, http.StatusOK, describe(def, base))
	default:
		s.restRecord(w, r, v, def, base, parts[1])
	}
}

// restRecord is one record by id, every field or those ?fields= names.
func (s *Server) restRecord(w http.ResponseWriter, r *http.Request, v *viewer, def *objectDef, base, id string) {
	if !def.retrieveable {
		notFound(w) // OauthToken supports query only (its ids are null)
		return
	}
	if len(id) != 15 && len(id) != 18 {
		restError(w, http.StatusNotFound, policy.LiveRESTErrNotFound, fmt.Sprintf(policy.LiveRESTDescBadRecordIDFmt, id))
		return
	}
	cols := make([]*soql.Field, 0, len(def.soql.Fields))
	if list := r.URL.Query().Get("fields"); list != "" {
		for _, name := range strings.Split(list, ",") {
			f := def.soql.Field(strings.TrimSpace(name))
			if f == nil {
				restError(w, http.StatusBadRequest, soql.CodeInvalidField, "No such column '"+strings.TrimSpace(name)+"' on sobject of type "+def.name)
				return
			}
			cols = append(cols, f)
		}
	} else {
		for i := range def.soql.Fields {
			cols = append(cols, &def.soql.Fields[i])
		}
	}
	recs, err := def.load(v)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	for _, rec := range recs {
		if rid, _ := rec["Id"].(string); rid != "" && rid[:15] == id[:15] {
			values := make([]any, len(cols))
			for i, f := range cols {
				values[i] = rec[f.Name]
				if s, ok := values[i].(string); ok && s == "" {
					values[i] = nil
				}
			}
			var b bytes.Buffer
			writeRecord(&b, def, base, rec, cols, values)
			writeRaw(w, b.Bytes())
			return
		}
	}
	notFound(w)
}

// globalDescribe is an object's entry in describeGlobal.
func globalDescribe(d *objectDef, base string) map[string]any {
	var prefix any
	if d.keyPrefix != "" {
		prefix = d.keyPrefix
	}
	u := base + "/sobjects/" + d.name
	urls := map[string]string{"sobject": u, "describe": u + "/describe"}
	if d.retrieveable {
		urls["rowTemplate"] = u + "/{ID}"
	}
	return map[string]any{
		"activateable": false, "associateEntityType": nil, "associateParentEntity": nil, "createable": false, "custom": false,
		"customSetting": false, "deepCloneable": false, "deletable": false, "deprecatedAndHidden": false, "feedEnabled": false,
		"hasSubtypes": false, "isInterface": false, "isSubtype": false, "keyPrefix": prefix, "label": d.label,
		"labelPlural": d.plural, "layoutable": false, "mergeable": false, "mruEnabled": false, "name": d.name,
		"queryable": true, "replicateable": false, "retrieveable": d.retrieveable, "searchable": false,
		"triggerable": false, "undeletable": false, "updateable": false, "urls": urls,
	}
}

// soapTypes are the SOAP types of the field types.
var soapTypes = map[soql.Type]string{
	soql.ID: "tns:ID", soql.Reference: "tns:ID", soql.String: "xsd:string", soql.Picklist: "xsd:string", soql.Email: "xsd:string",
	soql.URL: "xsd:string", soql.Boolean: "xsd:boolean", soql.Int: "xsd:int", soql.Double: "xsd:double",
	soql.DateTime: "xsd:dateTime", soql.Date: "xsd:date",
}

// describe is an object's full describe: the global entry's properties and
// its fields. Every field is read-only, as the live org's objects are.
func describe(d *objectDef, base string) map[string]any {
	m := globalDescribe(d, base)
	fields := make([]map[string]any, 0, len(d.fields))
	for _, f := range d.fields {
		refs, rel := []string{}, any(nil)
		if f.ref != "" {
			refs, rel = []string{f.ref}, strings.TrimSuffix(f.Name, "Id")
		}
		byteLength, digits := f.length*3, 0
		switch f.Type {
		case soql.ID, soql.Reference:
			byteLength = 18
		case soql.Int:
			digits = 9
		}
		fields = append(fields, map[string]any{
			"aggregatable": f.Type != soql.Boolean, "autoNumber": false, "byteLength": byteLength, "calculated": false,
			"calculatedFormula": nil, "cascadeDelete": false, "caseSensitive": false, "controllerName": nil, "createable": false,
			"custom": f.Custom, "defaultValue": nil, "defaultedOnCreate": f.Name == "Id" || f.Type == soql.Boolean,
			"dependentPicklist": false, "deprecatedAndHidden": false, "digits": digits, "encrypted": false, "externalId": false,
			"extraTypeInfo": nil, "filterable": !f.NotFilterable, "groupable": f.Type != soql.DateTime && f.Type != soql.Double,
			"htmlFormatted": false, "idLookup": f.Name == "Id" || f.Name == "Username", "inlineHelpText": nil, "label": f.label,
			"length": f.length, "name": f.Name, "nameField": f.Name == "Name", "namePointing": false, "nillable": f.nillable,
			"permissionable": false, "picklistValues": []any{}, "polymorphicForeignKey": false, "precision": 0,
			"referenceTo": refs, "relationshipName": rel, "restrictedPicklist": false, "scale": 0, "soapType": soapTypes[f.Type],
			"sortable": !f.NotSortable, "type": string(f.Type), "unique": f.Name == "Username", "updateable": false,
		})
	}
	m["fields"] = fields
	m["childRelationships"], m["recordTypeInfos"], m["actionOverrides"] = []any{}, []any{}, []any{}
	m["compactLayoutable"], m["searchLayoutable"], m["listviewable"], m["lookupLayoutable"] = false, false, nil, nil
	m["sobjectDescribeOption"] = "FULL"
	m["supportedScopes"] = []map[string]string{{"label": "All " + strings.ToLower(d.plural), "name": "everything"}}
	return m
}
