package server

import (
	"time"

	"triad/internal/resp"
)

// host gives the RESP front-end what it needs from the node.
type host struct{ n *Node }

func (h *host) Save() error   { return h.n.persist.save() }
func (h *host) BGSave() error { return h.n.persist.bgsave() }
func (h *host) LastSave() time.Time {
	h.n.persist.mu.Lock()
	defer h.n.persist.mu.Unlock()
	return h.n.persist.lastSave
}
func (h *host) Params() []resp.Param { return h.n.persist.params() }
func (h *host) Info(section string) [][2]string {
	if section == "persistence" {
		return h.n.persist.info()
	}
	return nil
}
func (h *host) Shutdown(save bool) {
	if save {
		if err := h.n.persist.save(); err != nil {
			h.n.log.Warn("snapshot before shutdown failed", "err", err)
		}
	}
	h.n.Stop()
}
