#pragma once
// connection_table.hpp: one worker's open connections and the graveyard of those closed in this
// loop iteration.
//
// Owner: the Worker (one per poller thread; no locks). A closed connection is never freed inside
// its own callback: bury() moves it to the graveyard, free_graveyard() frees it at the end of the
// iteration (STYLE: free late; pending events of the iteration may still name it).
// Objects: from an ObjectPool<Conn> (pooled variants, --allocator variant) or new/delete.
// Cost: create() may allocate (the connection, and doubling the table's capacity); add(), bury()
// and free_graveyard() never allocate: create() makes room for them first, so a burst of closes
// inside callbacks cannot fail. bury() is O(1) (swap-remove; each connection knows its index).
#include <algorithm>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "memory/object_pool.hpp"

namespace wsalloc::variants {

template <class Conn>
class ConnectionTable {
 public:
  explicit ConnectionTable(bool pooled) {
    if (pooled) pool_ = std::make_unique<memory::ObjectPool<Conn>>("connections");
  }
  ~ConnectionTable() { free_graveyard(); }
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // Makes room for add() and for every open connection closing in one iteration, then constructs
  // a connection. Strong guarantee: when it throws, the table is as it was (capacity aside).
  template <class... Args>
  Conn* create(Args&&... args) {
    if (conns_.size() == conns_.capacity()) conns_.reserve(std::max<size_t>(16, 2 * conns_.capacity()));
    if (graveyard_.capacity() < conns_.capacity()) graveyard_.reserve(conns_.capacity());
    return pool_ ? pool_->create(std::forward<Args>(args)...) : new Conn(std::forward<Args>(args)...);
  }
  // REQUIRES: `c` from create(), since which no other connection was added.
  void add(Conn* c) noexcept {
    c->index() = conns_.size();
    conns_.push_back(c);
  }
  // Frees a connection that was never added (its setup failed), or one at exit.
  void destroy(Conn* c) noexcept {
    if (pool_) {
      pool_->destroy(c);
    } else {
      delete c;
    }
  }

  // Out of the table now, freed by the next free_graveyard().
  void bury(Conn* c) noexcept {
    const size_t i = c->index();
    conns_[i] = conns_.back();
    conns_[i]->index() = i;
    conns_.pop_back();
    graveyard_.push_back(c);
  }
  void free_graveyard() noexcept {
    for (Conn* c : graveyard_) destroy(c);
    graveyard_.clear();
  }

  size_t size() const noexcept { return conns_.size(); }
  bool empty() const noexcept { return conns_.empty(); }
  Conn* operator[](size_t i) const noexcept { return conns_[i]; }
  auto begin() const noexcept { return conns_.begin(); }
  auto end() const noexcept { return conns_.end(); }
  const memory::ObjectPool<Conn>* pool() const noexcept { return pool_.get(); }

 private:
  std::unique_ptr<memory::ObjectPool<Conn>> pool_;  // null: connections from new/delete
  std::vector<Conn*> conns_;
  std::vector<Conn*> graveyard_;
};

}  // namespace wsalloc::variants
