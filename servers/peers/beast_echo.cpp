// wsalloc-peer-beast: the Boost.Beast reference echo server.
//
// Written the way Beast's own async examples recommend, so it stands for "a careful Beast user":
// one thread, one io_context, one flat_buffer per session reused for every message (consume() keeps
// its capacity), auto_fragment off so an echo is one frame, read_message_max 16 MiB like wsalloc's
// default, TCP_NODELAY on every socket. Text and binary are echoed with the type they arrived with.
// Pings are answered by Beast itself.
//
// /broadcast (the broadcast scenario; wsalloc-server's route): a message on a connection whose
// upgrade asked for /broadcast goes to every other /broadcast connection, never back to the sender,
// the way Beast's own chat example (websocket-chat-multi) does it: each message is copied once into
// a shared_ptr<const string>
// and queued on every member, and each member writes its queue one message at a time. A member
// whose queue passes kMaxBacklog (wsalloc-server's --max-backlog default) is dropped, as
// wsalloc-server drops a slow consumer: one slow member never holds memory without bound.
// Every other path echoes.
//
// permessage-deflate (--deflate and the --deflate-* flags wsalloc-server takes): Beast's own
// extension, which compresses with its bundled zlib port (boost/beast/zlib), not the system zlib.
// Its defaults (level 8, memLevel 4) are set to zlib's (6, 8) so the comparison with wsalloc's
// variants compresses the same way; the flags change them alike.
//
// CLI contract (shared with wsalloc-server): --host H --port P (0 = a free port); prints exactly one
// line `listening on H:P` when ready; on SIGINT/SIGTERM stops accepting, sends every open session a
// close frame (1001 going away), and exits 0 once they are closed or after kShutdownGrace.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <string_view>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

constexpr std::size_t kReadMessageMax = 16u << 20;  // 16 MiB, wsalloc's default max message
// How long shutdown waits for close handshakes before it stops the loop regardless.
constexpr auto kShutdownGrace = std::chrono::seconds(2);
// A /broadcast member's unsent bytes past which it is dropped (wsalloc-server's --max-backlog).
constexpr std::size_t kMaxBacklog = 16u << 20;
// How long a connection may take to send its upgrade request (Beast's suggested handshake timeout),
// and how large the request may be (the header limit Beast's own accept applies).
constexpr auto kHandshakeTimeout = std::chrono::seconds(30);
constexpr std::size_t kMaxRequest = 8 * 1024;
constexpr std::string_view kBroadcastPath = "/broadcast";

class Session;

// The live sessions, so a signal can close each of them. Only touched on the one io thread. It must
// outlive the io_context: sessions still held by queued handlers unregister when those die.
struct Registry {
  std::set<Session*> live;
  std::set<Session*> broadcast;  // the open /broadcast members
  bool stopping = false;
  asio::steady_timer* grace = nullptr;  // cancelled when the last session ends during shutdown
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Registry& registry, const websocket::permessage_deflate& deflate)
      : ws_(std::move(socket)), registry_(registry), deflate_(deflate) {}

  void start() {
    registry_.live.insert(this);
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ec);
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(beast::http::field::server, "wsalloc-peer-beast");
    }));
    ws_.auto_fragment(false);
    ws_.read_message_max(kReadMessageMax);
    ws_.set_option(deflate_);
    // The request is read here, up to its blank line, to see its target (the route); then all that
    // was read, request and any frames behind it, is handed to async_accept, which parses the
    // request itself and keeps the rest for the first reads.
    beast::get_lowest_layer(ws_).expires_after(kHandshakeTimeout);
    asio::async_read_until(ws_.next_layer(), asio::dynamic_buffer(request_, kMaxRequest), "\r\n\r\n",
                           beast::bind_front_handler(&Session::on_request, shared_from_this()));
  }

  ~Session() {
    registry_.broadcast.erase(this);
    registry_.live.erase(this);
    if (registry_.stopping && registry_.live.empty() && registry_.grace) registry_.grace->cancel();
  }

  // Called on SIGINT/SIGTERM. Beast allows one close at a time and none while a write is in
  // flight, so a session that is writing closes when that write completes.
  void shutdown() {
    if (closing_) return;
    closing_ = true;
    if (!open_) {
      // Still in the handshake: there is no WebSocket to close yet.
      beast::error_code ec;
      beast::get_lowest_layer(ws_).socket().close(ec);
      return;
    }
    if (!writing_) do_close();
  }

  // A /broadcast message from another member: queued, and written when the previous one is done.
  void deliver(const std::shared_ptr<const std::string>& message, bool text) {
    if (closing_) return;
    queued_bytes_ += message->size();
    if (queued_bytes_ > kMaxBacklog) {
      // A slow consumer. A close frame would wait behind the write its socket does not take, so
      // the connection is dropped (the member never reads what is queued anyway): the pending
      // read and write fail, and the session ends when their handlers return.
      closing_ = true;
      registry_.broadcast.erase(this);
      beast::get_lowest_layer(ws_).close();
      return;
    }
    outbox_.push_back({message, text});
    if (!writing_) write_next();
  }

 private:
  struct Outgoing {
    std::shared_ptr<const std::string> bytes;
    bool text;
  };

  void on_request(beast::error_code ec, std::size_t) {
    if (ec) return;  // no request end within the time or size limit: the session ends here
    beast::get_lowest_layer(ws_).expires_never();  // the websocket stream's own timeouts take over
    broadcast_ = route_path(request_) == kBroadcastPath;
    // Not a valid upgrade: async_accept answers it with an error status and fails.
    ws_.async_accept(asio::buffer(request_), beast::bind_front_handler(&Session::on_accept, shared_from_this()));
    std::string().swap(request_);  // copied by async_accept
  }

  // The path of the request line "GET /path?query HTTP/1.1"; empty if it has no such shape (then
  // async_accept refuses the request anyway).
  static std::string_view route_path(std::string_view text) {
    const std::size_t start = text.find(' ');
    if (start == std::string_view::npos) return {};
    const std::string_view target = text.substr(start + 1, text.find(' ', start + 1) - start - 1);
    return target.substr(0, target.find('?'));
  }

  void on_accept(beast::error_code ec) {
    if (ec) return;  // failed handshake: the session ends when this handler returns
    open_ = true;
    if (closing_) return do_close();
    if (broadcast_) registry_.broadcast.insert(this);
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    // websocket::error::closed is the clean end (close handshake done); every other error ends the
    // session too. Either way the last shared_ptr goes when this handler returns.
    if (ec) {
      registry_.broadcast.erase(this);
      return;
    }
    if (broadcast_) return publish();
    ws_.text(ws_.got_text());
    writing_ = true;
    ws_.async_write(buffer_.data(),
                    beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t bytes) {
    writing_ = false;
    if (ec) return;
    buffer_.consume(bytes);  // keeps capacity: the next message reuses the same storage
    if (closing_) return do_close();
    do_read();
  }

  // One copy of the message, shared by every other member's queue (Beast's chat example).
  void publish() {
    const auto message = std::make_shared<const std::string>(beast::buffers_to_string(buffer_.data()));
    buffer_.consume(buffer_.size());
    const bool text = ws_.got_text();
    // The iterator moves on before deliver(): a member closed for its backlog leaves the set.
    for (auto it = registry_.broadcast.begin(); it != registry_.broadcast.end();) {
      Session* member = *it++;
      if (member != this) member->deliver(message, text);
    }
    do_read();
  }

  void write_next() {
    writing_ = true;
    ws_.text(outbox_.front().text);
    ws_.async_write(asio::buffer(*outbox_.front().bytes),
                    beast::bind_front_handler(&Session::on_broadcast_write, shared_from_this()));
  }

  void on_broadcast_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    queued_bytes_ -= outbox_.front().bytes->size();
    outbox_.pop_front();
    if (ec) return;
    if (closing_) return do_close();
    if (!outbox_.empty()) write_next();
  }

  void do_close() {
    // The pending async_read completes with an error once the close handshake ends.
    ws_.async_close(websocket::close_code::going_away, [self = shared_from_this()](beast::error_code) {});
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::string request_;  // the upgrade request as read (and anything behind it), until async_accept
  std::deque<Outgoing> outbox_;  // /broadcast only: front() is being written while writing_
  std::size_t queued_bytes_ = 0;
  bool broadcast_ = false;
  Registry& registry_;
  const websocket::permessage_deflate& deflate_;
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;
};

class Listener {
 public:
  Listener(asio::io_context& ioc, tcp::endpoint endpoint, Registry& sessions,
           const websocket::permessage_deflate& deflate)
      : ioc_(ioc), acceptor_(ioc), sessions_(sessions), deflate_(deflate) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void start() { do_accept(); }

  // Returns true if sessions remain that must finish their close handshake.
  bool shutdown() {
    beast::error_code ec;
    acceptor_.close(ec);
    sessions_.stopping = true;
    // Copy: a session may end (and unregister) while we walk the set.
    for (Session* s : std::set<Session*>(sessions_.live)) s->shutdown();
    return !sessions_.live.empty();
  }

 private:
  void do_accept() {
    acceptor_.async_accept(ioc_, [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) std::make_shared<Session>(std::move(socket), sessions_, deflate_)->start();
      do_accept();
    });
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  Registry& sessions_;
  const websocket::permessage_deflate& deflate_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wsalloc-peer-beast: Boost.Beast reference echo server (one thread)"};
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  app.add_option("--host", host, "address to listen on")->capture_default_str();
  app.add_option("--port", port, "port to listen on; 0 picks a free port")->capture_default_str();
  websocket::permessage_deflate deflate;
  deflate.compLevel = 6;  // zlib's defaults, as wsalloc-server's
  deflate.memLevel = 8;
  auto* on = app.add_flag("--deflate", deflate.server_enable, "accept permessage-deflate offers (RFC 7692)");
  // Beast refuses 8 bits ("a bug in ZLib"): 9..15.
  app.add_option("--deflate-server-max-window-bits", deflate.server_max_window_bits, "window of our compressor")
      ->check(CLI::Range(9, 15))->needs(on);
  app.add_option("--deflate-client-max-window-bits", deflate.client_max_window_bits, "largest client window")
      ->check(CLI::Range(9, 15))->needs(on);
  app.add_flag("--deflate-server-no-context-takeover", deflate.server_no_context_takeover,
               "compress every reply on its own")->needs(on);
  app.add_flag("--deflate-client-no-context-takeover", deflate.client_no_context_takeover,
               "ask clients to compress every message on its own")->needs(on);
  app.add_option("--deflate-level", deflate.compLevel, "compression level 0..9")->check(CLI::Range(0, 9))->needs(on);
  app.add_option("--deflate-mem-level", deflate.memLevel, "memLevel 1..9")->check(CLI::Range(1, 9))->needs(on);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  try {
    Registry sessions;
    asio::io_context ioc{1};
    beast::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) {
      std::fprintf(stderr, "wsalloc-peer-beast: --host '%s' is not an IP address: %s\n", host.c_str(),
                   ec.message().c_str());
      return kExitUsage;
    }
    Listener listener(ioc, tcp::endpoint(address, port), sessions, deflate);
    listener.start();

    asio::steady_timer grace(ioc);
    // Sessions outliving run() die with the io_context, after `grace`: they must not see it.
    struct ForgetGrace {
      Registry& r;
      ~ForgetGrace() { r.grace = nullptr; }
    } forget_grace{sessions};
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code ec, int) {
      if (ec) return;
      grace.expires_after(kShutdownGrace);
      grace.async_wait([&](beast::error_code ec) {
        if (!ec) ioc.stop();  // close handshakes overran: give up on them
      });
      sessions.grace = &grace;
      if (!listener.shutdown()) grace.cancel();
    });

    std::printf("listening on %s:%u\n", host.c_str(), unsigned(listener.port()));
    std::fflush(stdout);
    // Returns once shutdown has left no work: the last session is gone (which cancels the grace
    // timer), or the grace timer fired and stopped the loop.
    ioc.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wsalloc-peer-beast: %s (host %s, port %u)\n", e.what(), host.c_str(),
                 unsigned(port));
    return kExitFailure;
  }
  return kExitOk;
}
