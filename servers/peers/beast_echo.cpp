// wsalloc-peer-beast: the Boost.Beast reference echo server.
//
// Written the way Beast's own async examples recommend, so it stands for "a careful Beast user":
// one thread, one io_context, one flat_buffer per session reused for every message (consume() keeps
// its capacity), auto_fragment off so an echo is one frame, read_message_max 16 MiB like wsalloc's
// default, TCP_NODELAY on every socket. Text and binary are echoed with the type they arrived with.
// Pings are answered by Beast itself.
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
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <string>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

constexpr std::size_t kReadMessageMax = 16u << 20;  // 16 MiB, wsalloc's default max message
// How long shutdown waits for close handshakes before it stops the loop regardless.
constexpr auto kShutdownGrace = std::chrono::seconds(2);

class Session;

// The live sessions, so a signal can close each of them. Only touched on the one io thread. It must
// outlive the io_context: sessions still held by queued handlers unregister when those die.
struct Registry {
  std::set<Session*> live;
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
    ws_.async_accept(beast::bind_front_handler(&Session::on_accept, shared_from_this()));
  }

  ~Session() {
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

 private:
  void on_accept(beast::error_code ec) {
    if (ec) return;  // failed handshake: the session ends when this handler returns
    open_ = true;
    if (closing_) return do_close();
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    // websocket::error::closed is the clean end (close handshake done); every other error ends the
    // session too. Either way the last shared_ptr goes when this handler returns.
    if (ec) return;
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

  void do_close() {
    // The pending async_read completes with an error once the close handshake ends.
    ws_.async_close(websocket::close_code::going_away,
                    [self = shared_from_this()](beast::error_code) {});
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
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
