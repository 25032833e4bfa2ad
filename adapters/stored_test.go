package adapters

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/maestro-go/maestro/spec"
)

// TestBatchRoundTrip fills every field of spec.Batch, found by reflection
// (so a field added to spec.Batch and forgotten here fails), and checks it
// survives the way into the store and back.
func TestBatchRoundTrip(t *testing.T) {
	var b spec.Batch
	v := reflect.ValueOf(&b).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(fmt.Sprintf("value %d", i))
		case reflect.Slice:
			f.Set(reflect.ValueOf([]spec.KV{{Key: "mem", Value: "64M"}, {Key: "comment", Value: "c"}}))
		case reflect.Map:
			f.Set(reflect.ValueOf(map[string]string{"site_key": "kept"}))
		default:
			t.Fatalf("spec.Batch.%s is a %s: teach StoreBatch and this test", v.Type().Field(i).Name, f.Kind())
		}
	}
	sb := StoreBatch(&b)
	if got := SpecBatch(&sb); !reflect.DeepEqual(*got, b) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", *got, b)
	}
	// The store's record has one field per spec.Batch field, so nothing
	// is dropped on the way in.
	if n, m := reflect.TypeOf(sb).NumField(), v.NumField(); n != m {
		t.Errorf("store.Batch has %d fields, spec.Batch %d", n, m)
	}
	empty := StoreBatch(&spec.Batch{})
	if got := SpecBatch(&empty); !reflect.DeepEqual(*got, spec.Batch{}) {
		t.Errorf("empty batch: %+v", *got)
	}
}

func TestStoreKVs(t *testing.T) {
	if StoreKVs(nil) != nil {
		t.Error("nil parameters must stay nil (no params key in the record)")
	}
	got := StoreKVs([]spec.KV{{Key: "SIZE", Value: "10"}, {Key: "MODE", Value: "a;b c"}})
	if fmt.Sprint(got) != "[{SIZE 10} {MODE a;b c}]" {
		t.Errorf("got %v", got)
	}
}
