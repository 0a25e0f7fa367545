package store

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// fill sets every field reachable from v to a non-zero value, so that a
// round trip that drops a field fails. n varies the values.
func fill(tb testing.TB, v reflect.Value, n *int) {
	tb.Helper()
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(tb, v.Elem(), n)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(tb, s.Index(i), n)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(tb, k, n)
		fill(tb, e, n)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(epoch.Add(time.Duration(*n)*time.Minute + 123456789)))
			return
		}
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				tb.Fatalf("%s.%s is unexported: teach fill about it", v.Type(), v.Type().Field(i).Name)
			}
			fill(tb, v.Field(i), n)
		}
	default:
		tb.Fatalf("fill: unsupported kind %s (%s)", v.Kind(), v.Type())
	}
}

// fullIncident returns an incident with every field set.
func fullIncident(tb testing.TB) *incident.Incident {
	var inc incident.Incident
	n := 0
	fill(tb, reflect.ValueOf(&inc).Elem(), &n)
	return &inc
}

func TestIncidentRecord_RoundTrip(t *testing.T) {
	inc := fullIncident(t)
	data := marshalIncident(inc)
	got, err := unmarshalIncident(inc.ID, data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, inc) {
		t.Fatalf("round trip lost data (a field missing from incidentRecord?)\n got %+v\nwant %+v", got, inc)
	}

	t.Run("UTC", func(t *testing.T) {
		inc := &incident.Incident{DeclaredAt: time.Date(2000, 1, 1, 9, 0, 0, 0, time.FixedZone("CET", 3600))}
		data := marshalIncident(inc)
		got, _ := unmarshalIncident(1, data)
		if got.DeclaredAt.Location() != time.UTC || !got.DeclaredAt.Equal(inc.DeclaredAt) {
			t.Fatalf("DeclaredAt = %v", got.DeclaredAt)
		}
	})
}

func TestEventRecord_RoundTrip(t *testing.T) {
	var e incident.Event
	n := 0
	fill(t, reflect.ValueOf(&e).Elem(), &n)
	data := marshalEvent(&e)
	got, err := unmarshalEvent(e.IncidentID, e.Seq, data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip lost data\n got %+v\nwant %+v", got, e)
	}
}

func TestEffectRecord_RoundTrip(t *testing.T) {
	var e incident.Effect
	n := 0
	fill(t, reflect.ValueOf(&e).Elem(), &n)
	data := marshalEffect(&e)
	got, err := unmarshalEffect(e.Seq, data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip lost data\n got %+v\nwant %+v", got, e)
	}
}

func TestRequestRecord_RoundTrip(t *testing.T) {
	var r incident.Request
	n := 0
	fill(t, reflect.ValueOf(&r).Elem(), &n)
	data := marshalRequest(&r)
	got, err := unmarshalRequest(r.Seq, data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("round trip lost data\n got %+v\nwant %+v", got, r)
	}
}
