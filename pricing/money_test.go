package pricing

import (
	"strings"
	"testing"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // the value, when valid
		wantErr string // a part of the error, when not
	}{
		{name: "integer", in: "5", want: "5"},
		{name: "cents", in: "5.00", want: "5"},
		{name: "dollar sign", in: "$5", want: "5"},
		{name: "dollar sign and cents", in: "$0.50", want: "0.5"},
		{name: "fraction of a cent", in: "0.003", want: "0.003"},
		{name: "exponent", in: "3e-06", want: "0.000003"},
		{name: "capital exponent with plus", in: "1.5E+2", want: "150"},
		{name: "leading point", in: ".5", want: "0.5"},
		{name: "trailing point", in: "5.", want: "5"},
		{name: "surrounding spaces", in: "  4.50 ", want: "4.5"},
		{name: "zero", in: "0", want: "0"},
		{name: "many digits stay exact", in: "0.1234567890123456789012345", want: "0.1234567890123456789012345"},
		{name: "empty", in: "", wantErr: "empty"},
		{name: "only a dollar sign", in: "$", wantErr: "empty"},
		{name: "negative", in: "-5", wantErr: "negative"},
		{name: "negative after dollar", in: "$-5", wantErr: "negative"},
		{name: "negative before dollar", in: "-$5", wantErr: "negative"},
		{name: "unicode minus", in: "\u22125", wantErr: "negative"},
		{name: "plus sign", in: "+5", wantErr: "not a number"},
		{name: "NaN", in: "NaN", wantErr: "not a number"},
		{name: "infinity", in: "Inf", wantErr: "not a number"},
		{name: "thousands separator", in: "1,000", wantErr: "not a number"},
		{name: "decimal comma", in: "4,50", wantErr: "not a number"},
		{name: "currency name", in: "5 USD", wantErr: "not a number"},
		{name: "two points", in: "1.2.3", wantErr: "not a number"},
		{name: "point only", in: ".", wantErr: "not a number"},
		{name: "hex", in: "0x10", wantErr: "not a number"},
		{name: "exponent without digits", in: "3e", wantErr: "not a number"},
		{name: "two exponent signs", in: "3e--6", wantErr: "not a number"},
		{name: "huge exponent", in: "1e-999999999", wantErr: "exponent out of range"},
		{name: "dollar twice", in: "$$5", wantErr: "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMoney(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseMoney(%q) = %s, want an error containing %q", tt.in, got, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "want a non-negative USD amount") {
					t.Errorf("ParseMoney(%q) error %q, want it to contain %q and say what is valid", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMoney(%q): %v", tt.in, err)
			}
			assertMoney(t, "ParseMoney("+tt.in+")", got, tt.want)
		})
	}
}

func TestFormatUSD(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"zero", "0", "$0.00"},
		{"dollars and cents", "4.5", "$4.50"},
		{"whole dollars", "5", "$5.00"},
		{"rounds to cents", "1234.5678", "$1234.57"},
		{"half a cent rounds away from zero", "2.005", "$2.01"},
		{"under a dollar", "0.45", "$0.45"},
		{"under a dime keeps two significant digits", "0.0125", "$0.013"},
		{"under a cent keeps two significant digits", "0.00357", "$0.0036"},
		{"small amount", "0.0042", "$0.0042"},
		{"no trailing zero past the cents", "0.004", "$0.004"},
		{"rounding up to a cent", "0.00999", "$0.01"},
		{"rounding up to a dime", "0.0999", "$0.10"},
		{"rounding up to a dollar", "0.995", "$1.00"},
		{"one token of a cheap model", "0.00000005", "$0.00000005"},
		{"negative", "-4.5", "-$4.50"},
		{"negative small", "-0.0042", "-$0.0042"},
		{"below the smallest shown", "1e-15", "<$0.000000000001"},
		{"negative below the smallest shown", "-1e-15", ">-$0.000000000001"},
		{"trailing zeros in the value", "4.500000", "$4.50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatUSD(d(tt.in)); got != tt.want {
				t.Errorf("FormatUSD(%s) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
