package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/caplab/caplab/lambda/soql"
	"github.com/caplab/caplab/policy"
)

// maxQueryRecords is the most records one query answers: Salesforce's
// query batch size. caplab has no query locators, so a larger match
// answers done with totalSize counting them all and 2,000 records.
const maxQueryRecords = 2000

// restQuery is /query and /queryAll (the same here: nothing is deleted):
// SOQL over the viewer's records; with columns=true, the query's column
// metadata instead (what `sf data query` asks for).
func (s *Server) restQuery(w http.ResponseWriter, r *http.Request, v *viewer, base string) {
	params := r.URL.Query()
	text := params.Get("q")
	if text == "" {
		if params.Has("explain") {
			restError(w, http.StatusBadRequest, soql.CodeMalformed, "caplab's live org does not explain queries; send q= instead of explain=")
			return
		}
		restError(w, http.StatusBadRequest, soql.CodeMalformed, policy.LiveRESTDescNoQuery)
		return
	}
	q, qerr := soql.Parse(text)
	var plan *soql.Plan
	if qerr == nil {
		plan, qerr = soql.Compile(q, soqlObject)
	}
	if qerr != nil {
		restError(w, http.StatusBadRequest, qerr.Code, qerr.Error())
		return
	}
	def := objectNamed(plan.Object.Name)
	if params.Get("columns") == "true" {
		writeJSON(w, http.StatusOK, columnsOf(def, plan))
		return
	}
	recs, err := def.load(v)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	res := plan.Run(recs, maxQueryRecords)
	var b bytes.Buffer
	b.WriteString(`{"totalSize":` + strconv.Itoa(res.TotalSize) + `,"done":true,"records":[`)
	for i, row := range res.Rows {
		if i > 0 {
			b.WriteByte(',')
		}
		writeRecord(&b, def, base, res.Records[i], plan.Columns, row)
	}
	b.WriteString("]}")
	writeRaw(w, b.Bytes())
}

// writeRecord writes a record as the REST API does: attributes first (its
// type and URL), then the fields in the order asked for.
func writeRecord(b *bytes.Buffer, def *objectDef, base string, rec soql.Record, cols []*soql.Field, values []any) {
	attrs := struct {
		Type string `json:"type"`
		URL  string `json:"url,omitempty"`
	}{Type: def.name}
	if id, _ := rec["Id"].(string); id != "" {
		attrs.URL = base + "/sobjects/" + def.name + "/" + id
	}
	a, _ := json.Marshal(attrs)
	b.WriteString(`{"attributes":`)
	b.Write(a)
	for i, f := range cols {
		name, _ := json.Marshal(f.Name)
		val, _ := json.Marshal(jsonValue(f.Type, values[i]))
		b.WriteByte(',')
		b.Write(name)
		b.WriteByte(':')
		b.Write(val)
	}
	b.WriteByte('}')
}

// jsonValue is a field value as the REST API writes it.
func jsonValue(t soql.Type, v any) any {
	if x, ok := v.(time.Time); ok {
		if t == soql.Date {
			return x.UTC().Format(time.DateOnly)
		}
		return sfTime(x)
	}
	return v
}

func writeRaw(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	w.Write([]byte("\n"))
}

// column is one column of a query's metadata (columns=true).
type column struct {
	Aggregate      bool     `json:"aggregate"`
	ApexType       string   `json:"apexType"`
	BooleanType    bool     `json:"booleanType"`
	ColumnName     string   `json:"columnName"`
	Custom         bool     `json:"custom"`
	DisplayName    string   `json:"displayName"`
	ForeignKeyName *string  `json:"foreignKeyName"`
	Insertable     bool     `json:"insertable"`
	JoinColumns    []column `json:"joinColumns"`
	NumberType     bool     `json:"numberType"`
	TextType       bool     `json:"textType"`
	Updatable      bool     `json:"updatable"`
}

// apexTypes are the Apex types of the field types.
var apexTypes = map[soql.Type]string{
	soql.ID: "Id", soql.Reference: "Id", soql.String: "String", soql.Picklist: "String", soql.Email: "String", soql.URL: "String",
	soql.Boolean: "Boolean", soql.Int: "Integer", soql.Double: "Double", soql.DateTime: "Datetime", soql.Date: "Date",
}

func columnsOf(def *objectDef, plan *soql.Plan) map[string]any {
	cols := []column{}
	idSelected := false
	for _, f := range plan.Columns {
		idSelected = idSelected || f.Name == "Id"
		t := apexTypes[f.Type]
		cols = append(cols, column{ApexType: t, BooleanType: t == "Boolean", ColumnName: f.Name, DisplayName: f.Name,
			JoinColumns: []column{}, NumberType: t == "Integer" || t == "Double", TextType: t == "String"})
	}
	var prefix any
	if def.keyPrefix != "" {
		prefix = def.keyPrefix
	}
	return map[string]any{"columnMetadata": cols, "entityName": def.name, "groupBy": false, "idSelected": idSelected, "keyPrefix": prefix}
}
