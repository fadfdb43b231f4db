package httpapi

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// soapEnvelope is the part of a SOAP 1.1 request the live org reads.
type soapEnvelope struct {
	XMLName xml.Name
	Header  *soapHeader `xml:"http://schemas.xmlsoap.org/soap/envelope/ Header"`
	Body    *soapBody   `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

type soapHeader struct {
	Items []soapHeaderItem `xml:",any"`
}

// soapHeaderItem is one header block; SessionHeader carries sessionId.
type soapHeaderItem struct {
	XMLName   xml.Name
	SessionID string `xml:"sessionId"`
}

type soapBody struct {
	Ops []soapOperation `xml:",any"`
}

// soapOperation is the Body's element: the call and, for login, its
// arguments (in the operation's namespace or unqualified, as clients send
// them).
type soapOperation struct {
	XMLName  xml.Name
	Username string `xml:"username"`
	Password string `xml:"password"`
}

// errSoapVersion: an Envelope of another SOAP version (SOAP 1.1's
// VersionMismatch fault).
var errSoapVersion = errors.New("the Envelope is not SOAP 1.1 (namespace " + soapEnvNS + ")")

// parseEnvelope parses a SOAP 1.1 request: one Envelope, a Body with
// exactly one operation, nothing after it. encoding/xml expands no external
// entities and limits nesting, and the body is already bounded.
func parseEnvelope(data []byte) (*soapEnvelope, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var env soapEnvelope
	if err := d.Decode(&env); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the request body is empty: want a SOAP Envelope")
		}
		return nil, errors.New("the request is not well-formed XML: " + strings.TrimPrefix(err.Error(), "xml: "))
	}
	switch {
	case env.XMLName.Local == "Envelope" && env.XMLName.Space != soapEnvNS:
		return nil, errSoapVersion
	case env.XMLName.Local != "Envelope":
		return nil, errors.New("the root element is " + env.XMLName.Local + ", not a SOAP Envelope")
	case env.Body == nil:
		return nil, errors.New("the Envelope has no Body")
	case len(env.Body.Ops) != 1:
		return nil, errors.New("the Body must hold exactly one operation element")
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return &env, nil
		}
		if err != nil {
			return nil, errors.New("the request is not well-formed XML after the Envelope: " + strings.TrimPrefix(err.Error(), "xml: "))
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("text after the Envelope")
			}
		default:
			return nil, errors.New("content after the Envelope")
		}
	}
}

// sessionID is the SessionHeader's sessionId (in the endpoint's namespace
// or unqualified), or "".
func (env *soapEnvelope) sessionID(api soapAPI) string {
	if env.Header == nil {
		return ""
	}
	for _, it := range env.Header.Items {
		if it.XMLName.Local == "SessionHeader" && (it.XMLName.Space == api.ns || it.XMLName.Space == "") {
			return strings.TrimSpace(it.SessionID)
		}
	}
	return ""
}

// soapMediaTypes are the Content-Types of a SOAP 1.1 request.
var soapMediaTypes = map[string]bool{"text/xml": true, "application/xml": true}

// readEnvelope reads a bounded body and parses its envelope (parseEnvelope).
func readEnvelope(w http.ResponseWriter, r *http.Request) (*soapEnvelope, *soapFault) {
	fault := func(f soapFault) (*soapEnvelope, *soapFault) { return nil, &f }
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !soapMediaTypes[mt] {
		return fault(clientFault("Content-Type must be text/xml (a SOAP 1.1 envelope); got " + strconv.Quote(r.Header.Get("Content-Type"))).at(http.StatusUnsupportedMediaType))
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fault(clientFault("the request body is larger than " + strconv.Itoa(maxBodyBytes) + " bytes").at(http.StatusRequestEntityTooLarge))
		}
		return fault(clientFault("could not read the request body").at(http.StatusBadRequest))
	}
	env, err := parseEnvelope(data)
	if errors.Is(err, errSoapVersion) {
		f := clientFault(err.Error())
		f.code = "soapenv:VersionMismatch"
		return fault(f)
	}
	if err != nil {
		return fault(clientFault(err.Error()))
	}
	return env, nil
}
