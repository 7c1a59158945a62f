// Package jsonfile explains what is wrong with a loadplan JSON file (a run summary, a line of a
// run history) in words that name the file, the place (line, column, byte offset) and what
// would be valid: another schema version, truncated or invalid JSON, a value of the wrong
// type. The decoding itself stays encoding/json's.
//
//	var top map[string]json.RawMessage
//	if err := json.Unmarshal(data, &top); err != nil {
//		return jsonfile.DecodeError(name, data, err, "a run summary")
//	}
//	if err := jsonfile.CheckSchema(name, top, "loadplan.run/v1", "loadplan run --json"); err != nil {
//		return err
//	}
package jsonfile
