package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
)

// File is an uploaded file.
type File struct {
	ID, Name, Title string
	User            string
	Content         []byte
	Channels        []string
}

// maxUpload bounds uploads so a runaway test cannot exhaust memory.
const maxUpload = 50 << 20

func (s *Server) apiFilesGetUploadURL(q *request) (map[string]any, *apiError) {
	name := q.str("filename")
	length, err := strconv.Atoi(q.str("length"))
	switch {
	case name == "":
		return nil, errCode("invalid_arguments")
	case err != nil || length <= 0:
		return nil, errCode("invalid_length")
	case length > maxUpload:
		return nil, errCode("file_too_large")
	}
	f := s.newFileLocked(name, botUserID, length)
	return map[string]any{"upload_url": s.baseURL + "/upload/" + f.id, "file_id": f.id}, nil
}

// newFileLocked registers a file record of length bytes, not yet uploaded.
func (s *Server) newFileLocked(name, userID string, length int) *fileRec {
	f := &fileRec{id: s.newIDLocked("F"), name: name, title: name, user: userID, length: length, created: s.now()}
	s.files[f.id] = f
	s.fileOrder = append(s.fileOrder, f.id)
	return f
}

// serveUpload is the upload_url handed out by files.getUploadURLExternal. It
// takes the raw body or a multipart form (slack-go's UploadToURL sends the
// file in a "file" part) and checks the declared length.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	data, err := readUpload(r)
	if err != nil {
		http.Error(w, "bad upload: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	switch {
	case !ok:
		http.Error(w, "file not found", http.StatusNotFound)
		return
	case f.uploaded:
		http.Error(w, "already uploaded", http.StatusBadRequest)
		return
	case len(data) != f.length:
		http.Error(w, fmt.Sprintf("length mismatch: declared %d, got %d", f.length, len(data)), http.StatusBadRequest)
		return
	}
	f.content = data
	f.uploaded = true
	s.bumpLocked()
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "OK - %d", len(data))
}

func readUpload(r *http.Request) ([]byte, error) {
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		return io.ReadAll(io.LimitReader(r.Body, maxUpload+1))
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, fmt.Errorf("read multipart: %w", err)
		}
		if p.FileName() != "" || p.FormName() == "file" {
			return io.ReadAll(io.LimitReader(p, maxUpload+1))
		}
	}
}

func (s *Server) apiFilesComplete(q *request) (map[string]any, *apiError) {
	var list []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal(q.raw("files"), &list); err != nil || len(list) == 0 {
		return nil, errCode("invalid_arguments")
	}
	var recs []*fileRec
	for _, it := range list {
		f, ok := s.files[it.ID]
		if !ok || !f.uploaded {
			return nil, errCode("file_not_found")
		}
		recs = append(recs, f)
	}
	chans := splitList(q.str("channels"))
	if id := q.str("channel_id"); id != "" {
		chans = append(chans, id)
	}
	var targets []*channel
	for _, id := range chans {
		c, err := s.chanLocked(id)
		if err != nil {
			return nil, err
		}
		if err := s.canPostLocked(c); err != nil {
			return nil, err
		}
		if !c.im && !c.isMember(botUserID) {
			return nil, errCode("not_in_channel")
		}
		targets = append(targets, c)
	}
	out := []map[string]any{}
	for i, f := range recs {
		if list[i].Title != "" {
			f.title = list[i].Title
		}
		out = append(out, map[string]any{"id": f.id, "title": f.title})
	}
	for _, c := range targets {
		parent, err := threadParent(c, q.str("thread_ts"))
		if err != nil {
			return nil, err
		}
		m := &message{user: botUserID, botID: botID, text: q.str("initial_comment"), subtype: "file_share"}
		for _, f := range recs {
			m.files = append(m.files, f.id)
			f.channels = append(f.channels, c.id)
		}
		s.addToThreadLocked(c, m, parent)
		s.emitMessageLocked(c, m)
	}
	return map[string]any{"files": out}, nil
}

func (s *Server) apiFilesInfo(q *request) (map[string]any, *apiError) {
	f, ok := s.files[q.str("file")]
	if !ok || !f.uploaded {
		return nil, errCode("file_not_found")
	}
	return map[string]any{"file": s.fileJSONLocked(f), "comments": []any{}, "paging": map[string]any{"count": 1, "total": 1, "page": 1, "pages": 1}}, nil
}
