package outbound

import (
	"context"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// How effects reach the worker: announced by the store as each commit
// stores them, handed over by Add, or loaded by a reconcile.

// Announcer is a Store that announces the effects each commit stores, in
// Seq order, before the writers of the commit return (*store.DB does).
// While Run runs, the worker learns of new effects from it. Otherwise it
// learns of them from Add, called by each writer once its write returns:
// then two effects of one lane committed together may be handed over in
// either order, and if the later one starts first they go out swapped.
type Announcer interface {
	AnnounceEffects(fn func([]incident.Effect)) (stop func())
}

// handover is the worker's state of what reaches it, guarded by its mu.
type handover struct {
	// announced: Run listens to the store's announcements, so Add only
	// says what it knows of effects queued already (that they are fresh).
	announced bool
	// heard is the highest Seq announced. Announcements come in Seq
	// order: none will come for an effect at or below it.
	heard uint64
	// early holds the effects finished above heard: loaded by a
	// reconcile before their announcement came (the committing goroutine
	// was slow to announce). That announcement must not queue them again.
	early map[uint64]bool
	// finished holds, while a reconcile reads the store, the effects
	// finished meanwhile: what it read of them is stale.
	finished map[uint64]bool
}

// listen makes the worker hear the store's announcements, if it makes
// any, until the returned func is called.
func (w *Worker) listen() (stop func()) {
	an, ok := w.o.Store.(Announcer)
	if !ok {
		return func() {}
	}
	stop = an.AnnounceEffects(w.announce)
	w.mu.Lock()
	w.h.announced = true
	w.mu.Unlock()
	return stop
}

// announce queues the effects of one commit, as the store tells them.
func (w *Worker) announce(effs []incident.Effect) {
	w.mu.Lock()
	for _, e := range effs {
		if !w.h.early[e.Seq] {
			w.handLocked(e)
		}
		w.h.heard = max(w.h.heard, e.Seq)
	}
	for seq := range w.h.early {
		if seq <= w.h.heard {
			delete(w.h.early, seq)
		}
	}
	w.mu.Unlock()
	w.poke()
}

// Add queues effects just committed by this process. They are known not to
// have been attempted, so their first delivery needs no check. While Run
// listens to an Announcer, the worker has them already (it may even have
// delivered them): Add then only marks them fresh.
func (w *Worker) Add(effs ...incident.Effect) {
	if len(effs) == 0 {
		return
	}
	w.mu.Lock()
	for _, e := range effs {
		if !w.h.announced || w.items[e.Seq] != nil {
			w.handLocked(e)
		}
	}
	w.mu.Unlock()
	w.poke()
}

// handLocked queues e, just committed by this process and so never
// attempted. A reconcile may have loaded it first, as maybe attempted by
// an earlier process: unless this worker has started it, it is fresh.
func (w *Worker) handLocked(e incident.Effect) {
	if it := w.items[e.Seq]; it != nil {
		if !it.started {
			it.fresh = true
		}
		return
	}
	w.addLocked(e, true)
}

// finishedLocked notes that effect seq is done with.
func (w *Worker) finishedLocked(seq uint64) {
	if w.h.finished != nil {
		w.h.finished[seq] = true
	}
	if w.h.announced && seq > w.h.heard {
		if w.h.early == nil {
			w.h.early = map[uint64]bool{}
		}
		w.h.early[seq] = true
	}
}

// reconcile adds what the store holds and the worker does not know: at
// start, everything (it may have been attempted by an earlier process, so
// it is checked before it is delivered).
func (w *Worker) reconcile(ctx context.Context) error {
	w.mu.Lock()
	w.h.finished = map[uint64]bool{}
	w.mu.Unlock()
	effs, err := w.o.Store.PendingEffects(ctx, 0)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range effs {
		if !w.h.finished[e.Seq] {
			w.addLocked(e, false)
		}
	}
	w.h.finished = nil
	return err
}
