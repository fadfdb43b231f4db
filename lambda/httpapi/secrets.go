package httpapi

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"html"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Share links are public, so POST /api/scenarios refuses documents holding
// real-looking credentials. Every string value and object key is
// normalised (NFKC, invisible characters dropped, percent/HTML/backslash
// escapes decoded, base64 runs decoded) and searched anywhere, not only at
// its start. Obfuscation this does not undo (homoglyphs such as Cyrillic М,
// keys split by punctuation, encryption) is out of reach of any filter.

const (
	// minConsumerKeyTail: Salesforce consumer keys are "3MVG" and ~80 more
	// [A-Za-z0-9._] characters. 40 still catches a truncated paste, while a
	// lesson that merely mentions the 3MVG prefix never runs on that long.
	minConsumerKeyTail = 40
	// minSessionIDTail: the opaque part after "00D…!" is ~96 characters;
	// 16 catches truncated pastes but not an org id followed by "!" in prose.
	minSessionIDTail = 16
	// maxRandomLowerShare: a real key or session id is random over
	// [A-Za-z0-9], ~42% lower case; prose glued together is over 80%.
	maxRandomLowerShare = 0.7
	// maxDecodeRounds: percent/entity/backslash decoding is repeated at most
	// this often, enough for triple encoding; each round only shrinks text.
	maxDecodeRounds = 4
	// minBase64KeyChars: the smallest DER private key (Ed25519 PKCS#8,
	// 48 bytes) is 64 base64 characters; shorter runs cannot hold one.
	minBase64KeyChars = 64
	// maxBase64Depth: base64 text inside base64 is decoded this deep; each
	// level is at most 3× (4 alignments of ¾ the size), so work stays linear.
	maxBase64Depth = 2
	// maxDERKeyBytes: an RSA-16384 PKCS#8 key is ~9.4 KB; a SEQUENCE
	// claiming more is not a key, and each ASN.1 parse stays this small.
	maxDERKeyBytes = 12 << 10
	// maxDERCandidates: key-shaped DER headers parsed per document. Real
	// documents have none; past the cap the document is refused rather
	// than half checked, so decoys cannot hide a key behind them.
	maxDERCandidates = 64
	// minJWKSecretChars: a JWK private member (d, p, q, …, or an oct k) of
	// even a 128-bit key is 22 base64url characters; placeholders are shorter.
	minJWKSecretChars = 16
)

const (
	kindConsumerKey = "consumer key (3MVG…)"
	kindSessionID   = "session ID (00D…!…)"
	kindPEM         = "private key (PEM)"
	kindPGP         = "private key (PGP)"
	kindPuTTY       = "private key (PuTTY)"
	kindJWK         = "private key (JWK)"
	kindDER         = "private key (base64 DER)"
	kindOpenSSH     = "private key (OpenSSH)"
	kindTooManyDER  = "private key (too many key-shaped DER structures to check)"
)

var (
	consumerKeyPattern = regexp.MustCompile(`3MVG([A-Za-z0-9._]{` + strconv.Itoa(minConsumerKeyTail) + `,})`)
	sessionIDPattern   = regexp.MustCompile(`00D[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?!([0-9A-Za-z._\-]{` + strconv.Itoa(minSessionIDTail) + `,})`)
	// Every PEM private key type (RSA, EC, DSA, OPENSSH, ENCRYPTED, plain)
	// and PGP's "PRIVATE KEY BLOCK"; spaces optional so the whitespace-free
	// view matches too.
	pemKeyPattern   = regexp.MustCompile(`(?i)-{3,}\s*BEGIN\s*((?:[A-Z0-9]+\s*)*?)(?:PRIVATE|SECRET)\s*KEY(?:\s*BLOCK)?\s*-{3,}`)
	puttyKeyPattern = regexp.MustCompile(`PuTTY-User-Key-File-\d+\s*:`)
	// A JWK as JSON text (or a JS object literal) inside a string.
	jwkTypePattern    = regexp.MustCompile(`\bkty["']?\s*:`)
	jwkPrivatePattern = regexp.MustCompile(`(?:^|[^A-Za-z0-9_$])["']?(?:d|p|q|dp|dq|qi|k)["']?\s*:\s*["']?[A-Za-z0-9_\-+/]{` + strconv.Itoa(minJWKSecretChars) + `,}`)
	openSSHMagic      = []byte("openssh-key-v1\x00")
)

// jwkPrivateMembers are the members only a private (or symmetric) JWK has
// (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2).
var jwkPrivateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// scanSecrets returns the JSON pointer of the first string value or object
// key (keys sorted, a key before its value) that holds a real-looking
// credential, and what it looks like; "" when the document is clean or not
// JSON. The root value's pointer is "/".
func scanSecrets(doc []byte) (path, what string) {
	sc := secretScanner{derBudget: maxDERCandidates}
	return sc.scan(doc)
}

// secretScanner carries the per-document DER budget and counts the bytes
// it examined, so tests can check the scan stays linear.
type secretScanner struct {
	derBudget int
	work      int
}

func (sc *secretScanner) scan(doc []byte) (string, string) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return "", ""
	}
	return sc.walk("", v)
}

func (sc *secretScanner) walk(path string, v any) (string, string) {
	switch x := v.(type) {
	case string:
		if what := sc.text(x, 0); what != "" {
			if path == "" {
				path = "/"
			}
			return path, what
		}
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		if member := privateJWKMember(x, keys); member != "" {
			return path + "/" + secretPointerToken(member), kindJWK
		}
		for _, k := range keys {
			p := path + "/" + secretPointerToken(k)
			if what := sc.text(k, 0); what != "" {
				return p, what
			}
			if p, w := sc.walk(p, x[k]); p != "" {
				return p, w
			}
		}
	case []any:
		for i, e := range x {
			if p, w := sc.walk(path+"/"+strconv.Itoa(i), e); p != "" {
				return p, w
			}
		}
	}
	return "", ""
}

// privateJWKMember returns the first private member of an object that is a
// JWK (has "kty"), comparing normalised member names.
func privateJWKMember(obj map[string]any, sortedKeys []string) string {
	isJWK := false
	member := ""
	for _, k := range sortedKeys {
		name := strings.ToLower(normalizeSecretText(k))
		if _, ok := obj[k].(string); ok && name == "kty" {
			isJWK = true
			continue
		}
		if s, ok := obj[k].(string); ok && member == "" && slices.Contains(jwkPrivateMembers, name) &&
			len(normalizeSecretText(s)) >= minJWKSecretChars {
			member = k
		}
	}
	if !isJWK {
		return ""
	}
	return member
}

// text checks one string: each decoding round's normalised view, the same
// view without whitespace, and the base64 runs in it.
func (sc *secretScanner) text(s string, depth int) string {
	view := normalizeSecretText(s)
	for round := 0; ; round++ {
		sc.work += len(view)
		if what := textSecret(view); what != "" {
			return what
		}
		if joined := strings.Map(dropSpace, view); len(joined) != len(view) {
			sc.work += len(joined)
			if what := textSecret(joined); what != "" {
				return what
			}
		}
		if what := sc.base64Secret(view, depth); what != "" {
			return what
		}
		if round == maxDecodeRounds || !strings.ContainsAny(view, `%&\`) {
			return ""
		}
		next := normalizeSecretText(decodeEscapes(view))
		if next == view {
			return ""
		}
		view = next
	}
}

// normalizeSecretText folds compatibility forms (fullwidth, mathematical
// letters, ligatures) with NFKC and drops invisible characters an attacker
// can put inside a key: format characters (zero-width space and joiner,
// soft hyphen, BOM, bidi marks), variation selectors and other
// default-ignorable code points.
func normalizeSecretText(s string) string {
	return strings.Map(dropInvisible, norm.NFKC.String(strings.Map(dropInvisible, s)))
}

func dropInvisible(r rune) rune {
	if r < utf8.RuneSelf { // no ASCII character is invisible in this sense
		return r
	}
	if unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) {
		return -1
	}
	return r
}

func dropSpace(r rune) rune {
	if unicode.IsSpace(r) {
		return -1
	}
	return r
}

// textSecret looks for a textual credential anywhere in s. Each pattern
// runs only when its literal marker is present, which keeps it cheap.
func textSecret(s string) string {
	if strings.Contains(s, "3MVG") {
		for _, m := range consumerKeyPattern.FindAllStringSubmatchIndex(s, -1) {
			if looksRandom(s[m[2]:m[3]]) {
				return kindConsumerKey
			}
		}
	}
	if strings.Contains(s, "00D") {
		for _, m := range sessionIDPattern.FindAllStringSubmatchIndex(s, -1) {
			if looksRandom(s[m[2]:m[3]]) {
				return kindSessionID
			}
		}
	}
	if strings.Contains(s, "---") {
		if m := pemKeyPattern.FindStringSubmatch(s); m != nil {
			if strings.Contains(strings.ToUpper(m[1]), "PGP") {
				return kindPGP
			}
			return kindPEM
		}
	}
	if strings.Contains(s, "PuTTY") && puttyKeyPattern.MatchString(s) {
		return kindPuTTY
	}
	if strings.Contains(s, "kty") && jwkTypePattern.MatchString(s) && jwkPrivatePattern.MatchString(s) {
		return kindJWK
	}
	return ""
}

// looksRandom: digits, upper and lower case all present, and not mostly
// lower case, as in a random token and unlike words run together.
func looksRandom(s string) bool {
	var digit, upper, lower int
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digit++
		case c >= 'A' && c <= 'Z':
			upper++
		case c >= 'a' && c <= 'z':
			lower++
		}
	}
	return digit > 0 && upper > 0 && lower > 0 && float64(lower) <= maxRandomLowerShare*float64(len(s))
}

// decodeEscapes undoes one layer of percent-encoding, HTML character
// references and backslash escapes (\uXXXX, \xXX, \n, \", …). Each layer
// only shrinks the text.
func decodeEscapes(s string) string {
	return unescapeBackslashes(html.UnescapeString(percentDecode(s)))
}

// percentDecode decodes every valid %XX and leaves anything else alone
// (url.PathUnescape gives up on the first bad escape).
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, ok := hexByte(s[i+1], s[i+2]); ok {
				b.WriteByte(v)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unescapeBackslashes(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch c := s[i+1]; c {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '"', '\'', '\\', '/':
			b.WriteByte(c)
		case 'x':
			if i+3 < len(s) {
				if v, ok := hexByte(s[i+2], s[i+3]); ok {
					b.WriteByte(v)
					i += 3
					continue
				}
			}
			b.WriteByte('\\')
			continue
		case 'u':
			if i+5 < len(s) {
				if v, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
					b.WriteRune(rune(v))
					i += 5
					continue
				}
			}
			b.WriteByte('\\')
			continue
		default:
			b.WriteByte('\\')
			continue
		}
		i++
	}
	return b.String()
}

func hexByte(hi, lo byte) (byte, bool) {
	h, ok1 := hexDigit(hi)
	l, ok2 := hexDigit(lo)
	return h<<4 | l, ok1 && ok2
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// base64Secret decodes each long run of base64 or base64url characters
// (whitespace inside a run is skipped, as in wrapped PEM bodies) at all
// four alignments, so a prefix glued to the key ("Bearer MIIE…") does not
// hide it, and looks for DER private keys, OpenSSH keys and, in decoded
// text, everything textSecret finds.
func (sc *secretScanner) base64Secret(s string, depth int) string {
	var run []byte
	flush := func() string {
		defer func() { run = run[:0] }()
		if len(run) < minBase64KeyChars {
			return ""
		}
		for off := 0; off < 4; off++ {
			chunk := run[off:]
			if len(chunk)%4 == 1 { // not decodable; the last character is a partial byte anyway
				chunk = chunk[:len(chunk)-1]
			}
			der := make([]byte, base64.RawStdEncoding.DecodedLen(len(chunk)))
			n, err := base64.RawStdEncoding.Decode(der, chunk)
			if err != nil {
				continue
			}
			der = der[:n]
			sc.work += n
			if what := sc.derSecret(der); what != "" {
				return what
			}
			if depth < maxBase64Depth && utf8.Valid(der) {
				if what := sc.text(string(der), depth+1); what != "" {
					return what
				}
			}
		}
		return ""
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			run = append(run, c)
		case c == '-': // base64url → standard alphabet
			run = append(run, '+')
		case c == '_':
			run = append(run, '/')
		case c == ' ', c == '\n', c == '\r', c == '\t':
		default:
			if what := flush(); what != "" {
				return what
			}
		}
	}
	return flush()
}

// derSecret finds a DER private key anywhere in b: at each INTEGER 0 or 1
// (the version every PKCS#8, PKCS#1 and SEC1 key starts with) directly
// inside a SEQUENCE header, the SEQUENCE is cut to its stated length and
// parsed.
func (sc *secretScanner) derSecret(b []byte) string {
	if bytes.Contains(b, openSSHMagic) {
		return kindOpenSSH
	}
	for i := 0; i+3 <= len(b); i++ {
		if b[i] != 0x02 || b[i+1] != 0x01 || b[i+2] > 1 {
			continue
		}
		for _, h := range [...]int{2, 3, 4} { // header: 30 LL, 30 81 LL, 30 82 LL LL
			start := i - h
			if start < 0 || b[start] != 0x30 {
				continue
			}
			var n int
			switch h {
			case 2:
				n = int(b[i-1])
				if n >= 0x80 {
					continue
				}
			case 3:
				if b[i-2] != 0x81 {
					continue
				}
				n = int(b[i-1])
			case 4:
				if b[i-3] != 0x82 {
					continue
				}
				n = int(b[i-2])<<8 | int(b[i-1])
			}
			end := i + n
			if end > len(b) || end-start > maxDERKeyBytes {
				continue
			}
			if sc.derBudget--; sc.derBudget < 0 {
				return kindTooManyDER
			}
			sc.work += end - start
			if isPrivateKeyDER(b[start:end]) {
				return kindDER
			}
		}
	}
	return ""
}

// pkcs8Shape and pkcs1Shape are the ASN.1 shapes of PKCS#8 PrivateKeyInfo
// and PKCS#1 RSAPrivateKey. Checking the shape rather than calling
// x509.ParsePKCS8PrivateKey/ParsePKCS1PrivateKey also catches algorithms
// x509 does not parse (DSA, Ed448) and RSA keys it rejects as weak or
// inconsistent, which are leaked secrets all the same, and skips RSA
// validation's big-number work that an attacker could multiply.
type pkcs8Shape struct {
	Version    int
	Algorithm  pkix.AlgorithmIdentifier
	PrivateKey []byte
}

type pkcs1Shape struct {
	Version                     int
	N, E, D, P, Q, Dp, Dq, Qinv *big.Int
}

func isPrivateKeyDER(der []byte) bool {
	var k8 pkcs8Shape
	if rest, err := asn1.Unmarshal(der, &k8); err == nil && len(rest) == 0 &&
		(k8.Version == 0 || k8.Version == 1) && len(k8.Algorithm.Algorithm) > 0 && len(k8.PrivateKey) > 0 {
		return true
	}
	var k1 pkcs1Shape
	if rest, err := asn1.Unmarshal(der, &k1); err == nil && len(rest) == 0 && (k1.Version == 0 || k1.Version == 1) {
		return true
	}
	// SEC1's shape (version 1, an OCTET STRING, optional fields) is too
	// loose to trust alone: let x509 check the curve and the scalar.
	_, err := x509.ParseECPrivateKey(der)
	return err == nil
}

func secretPointerToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
