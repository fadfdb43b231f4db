package policy

// Result is the result document, version 1.
type Result struct {
	SchemaVersion int           `json:"schemaVersion"`
	EngineVersion string        `json:"engineVersion"`
	Results       []EventResult `json:"results"`
	// Limits are the engine limits the evaluation hit (limits.go): a
	// timeline stopped by one, or a fix search cut short.
	Limits []LimitNote `json:"limits,omitempty"`
}

// Outcomes of an event and of a trace step.
const (
	Granted = "granted"
	Denied  = "denied"

	StepPass = "pass"
	StepFail = "fail"
	StepSkip = "skip"
	StepInfo = "info"
)

// Delivery channels: where the answer reaches the client.
const (
	DeliverRedirect         = "redirect"
	DeliverRedirectFragment = "redirectFragment"
	DeliverJSON             = "json"
	DeliverErrorPage        = "errorPage"
	DeliverSoapFault        = "soapFault"
	DeliverSession          = "session"
	DeliverNone             = "none"
)

// EventResult is Salesforce's predicted answer to one event.
type EventResult struct {
	Event            int          `json:"event"`
	ID               string       `json:"id,omitempty"`
	Do               string       `json:"do"`
	At               string       `json:"at"`
	Outcome          string       `json:"outcome"`
	Delivery         string       `json:"delivery"`
	HTTPStatus       int          `json:"httpStatus"`
	Error            string       `json:"error"`
	ErrorDescription string       `json:"errorDescription"`
	Response         *Response    `json:"response,omitempty"`
	Issued           Issued       `json:"issued"`
	Trace            []TraceStep  `json:"trace"`
	Fixes            []Fix        `json:"fixes,omitempty"`
	Risk             *Risk        `json:"risk,omitempty"`
	Expect           *ExpectCheck `json:"expect,omitempty"`

	// ConsentScreen: the user is shown the consent screen (Permitted Users
	// is "All users may self-authorize" and they have not approved the app
	// before); the event's consent is their answer. An extension of result
	// v1, omitted when false.
	ConsentScreen bool `json:"consentScreen,omitempty"`
}

// Response is the concrete answer in its channel, for display: the redirect
// Location, a JSON body, an error page's text or a SOAP fault.
type Response struct {
	Location string `json:"location,omitempty"`
	Body     string `json:"body,omitempty"`
}

// Issued says what the event handed out.
type Issued struct {
	Code         bool   `json:"code"`
	AccessToken  bool   `json:"accessToken"`
	RefreshToken bool   `json:"refreshToken"`
	IDToken      bool   `json:"idToken"`
	SessionID    bool   `json:"sessionId"`
	Scope        string `json:"scope,omitempty"`
	ExpiresAt    string `json:"expiresAt,omitempty"`
}

// TraceStep is one rule checked, in order.
type TraceStep struct {
	Rule    string `json:"rule"`
	Outcome string `json:"outcome"`
	Because string `json:"because"`
	Setting string `json:"setting,omitempty"`
	Doc     string `json:"doc,omitempty"`
}

// Fix is a verified change that flips a denied event to granted.
type Fix struct {
	Actor   string    `json:"actor"`
	Summary string    `json:"summary"`
	Patch   []PatchOp `json:"patch"`
}

// Actors who can make a fix.
const (
	ActorSubscriberAdmin = "subscriberAdmin"
	ActorISVDeveloper    = "isvDeveloper"
	ActorUser            = "user"
	ActorClient          = "client"
)

// Risk is the risk card of the access mechanism an event used.
type Risk struct {
	Mechanism                      string   `json:"mechanism"`
	Auditable                      bool     `json:"auditable"`
	ScopeLimited                   bool     `json:"scopeLimited"`
	TimeLimited                    bool     `json:"timeLimited"`
	RevocableWithoutPasswordChange bool     `json:"revocableWithoutPasswordChange"`
	SurvivesPasswordChange         bool     `json:"survivesPasswordChange"`
	Notes                          []string `json:"notes,omitempty"`
}

// ExpectCheck reports how an event's result compares with its expectation.
type ExpectCheck struct {
	Met        bool     `json:"met"`
	Mismatches []string `json:"mismatches,omitempty"`
}
