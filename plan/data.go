package plan

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/loadplan/loadplan/internal/inputfile"
	"gopkg.in/yaml.v3"
)

// maxDataBytes bounds a data file: rows are held in memory for the whole run.
const maxDataBytes = 256 << 20

// loadData reads a data file: JSON lines (one object a line) or CSV with a header row.
func (d *decoder) loadData(f *DataFile, dir string, n *yaml.Node, path string) {
	f.Path = filepath.Join(dir, f.Path)
	if filepath.IsAbs(d.str(n, path)) {
		f.Path = d.str(n, path)
	}
	raw, _, err := inputfile.Read(f.Path, maxDataBytes)
	if err != nil {
		hint := ""
		if errors.Is(err, fs.ErrNotExist) {
			hint = " (paths are relative to the plan file)"
		}
		d.add(at(n), path, "cannot read data file %s%s: %v", f.Path, hint, unwrapPathErr(err))
		return
	}
	switch strings.ToLower(filepath.Ext(f.Path)) {
	case ".csv":
		err = readCSV(f, raw)
	case ".jsonl", ".ndjson":
		err = readJSONL(f, raw)
	default:
		err = fmt.Errorf("unknown kind of file; valid: .jsonl (one JSON object a line) or .csv (a header row)")
	}
	if err == nil && len(f.Rows) == 0 {
		err = fmt.Errorf("has no rows")
	}
	if err != nil {
		d.add(at(n), path, "data file %s: %v", f.Path, err)
	}
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func readJSONL(f *DataFile, raw []byte) error {
	fields := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return fmt.Errorf("line %d: not a JSON object: %v", line, err)
		}
		row := make(map[string]string, len(obj))
		for k, v := range obj {
			switch v := v.(type) {
			case string:
				row[k] = v
			case nil:
				row[k] = ""
			default:
				b, _ := json.Marshal(v)
				row[k] = string(b)
			}
			fields[k] = true
		}
		f.Rows = append(f.Rows, row)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	f.Fields = sortedKeys(fields)
	return nil
}

func readCSV(f *DataFile, raw []byte) error {
	r := csv.NewReader(bytes.NewReader(raw))
	recs, err := r.ReadAll()
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return fmt.Errorf("has no header row")
	}
	f.Fields = append([]string(nil), recs[0]...)
	for _, rec := range recs[1:] {
		row := make(map[string]string, len(rec))
		for i, v := range rec {
			row[f.Fields[i]] = v
		}
		f.Rows = append(f.Rows, row)
	}
	sort.Strings(f.Fields)
	return nil
}
