// wsalloc-peer-websocketpp: the websocketpp reference echo server.
//
// websocketpp's stock asio transport without TLS, one thread, written like its own echo_server
// example (send(hdl, payload, opcode) per message) so it stands for how the library is usually used:
// a shared_ptr'd message per read and a per-connection 16 KiB read buffer are part of that picture.
// TCP_NODELAY on every socket; max message 16 MiB like wsalloc's default; opcode preserved.
//
// /broadcast (the broadcast scenario; wsalloc-server's route): a message on a connection opened on
// /broadcast goes to every other /broadcast connection, never back to the sender, written like
// websocketpp's broadcast_server example (send(hdl, msg) to each member with the received
// message_ptr). A member with more than kMaxBacklog bytes unsent is closed 1008, as wsalloc-server
// closes a slow consumer past its --max-backlog default. Every other path echoes.
//
// permessage-deflate (--deflate): websocketpp's own extension (extensions/permessage_deflate), built
// into a second config type; the extension fixes its zlib settings (level 6, memLevel 4), allocates
// both zlib streams at the handshake, and offers no per-connection switches, so the other --deflate-*
// flags of wsalloc-server are not taken (scenarios that need them skip this peer).
//
// CLI contract (shared with wsalloc-server): --host H --port P (0 = a free port); prints exactly one
// line `listening on H:P` when ready; on SIGINT/SIGTERM stops listening, sends every open connection
// a close frame (1001 going away), and exits 0 once they are closed or after kShutdownGrace.
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/extensions/permessage_deflate/enabled.hpp>
#include <websocketpp/server.hpp>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <string>

namespace {

using websocketpp::connection_hdl;

// The stock asio config with the permessage-deflate extension switched on (websocketpp's way: a
// config type whose permessage_deflate_type is `enabled`).
struct DeflateConfig : public websocketpp::config::asio {
  using type = DeflateConfig;
  using base = websocketpp::config::asio;
  struct permessage_deflate_config {};
  using permessage_deflate_type = websocketpp::extensions::permessage_deflate::enabled<permessage_deflate_config>;
};

enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

constexpr std::size_t kMaxMessage = 16u << 20;  // 16 MiB, wsalloc's default max message
constexpr auto kShutdownGrace = std::chrono::seconds(2);
constexpr std::size_t kMaxBacklog = 16u << 20;  // wsalloc-server's --max-backlog default
constexpr const char* kBroadcastPath = "/broadcast";

// One function (~90 lines) on purpose: it reads like websocketpp's own echo_server and
// broadcast_server examples, whose handlers capture the server and the connection sets by
// reference; spreading them over a class would make this peer look less like "how the library is
// usually used", which is what it stands for.
template <class Config>
int serve(const std::string& host, uint16_t port, const boost::asio::ip::address& address) {
  using Server = websocketpp::server<Config>;
  try {
    Server server;
    // Per-message logging would dominate an echo benchmark; keep only what ends the process.
    server.clear_access_channels(websocketpp::log::alevel::all);
    server.clear_error_channels(websocketpp::log::elevel::all);
    server.set_error_channels(websocketpp::log::elevel::fatal);
    server.init_asio();
    server.set_reuse_addr(true);
    server.set_max_message_size(kMaxMessage);

    // Open connections, so a signal can close each of them. Only touched on the one io thread.
    using Handles = std::set<connection_hdl, std::owner_less<connection_hdl>>;
    Handles open;
    Handles broadcast;  // the open /broadcast members
    bool stopping = false;
    auto forget = [&](connection_hdl hdl) {
      open.erase(hdl);
      broadcast.erase(hdl);
      // Connections still in their opening handshake are not in `open`; stopping the loop here
      // drops them, which is all a half-open connection can be given at shutdown.
      if (stopping && open.empty()) server.stop();
    };

    server.set_socket_init_handler([](connection_hdl, boost::asio::ip::tcp::socket& s) {
      boost::system::error_code ec;
      s.set_option(boost::asio::ip::tcp::no_delay(true), ec);
    });
    server.set_open_handler([&](connection_hdl hdl) {
      open.insert(hdl);
      const std::string resource = server.get_con_from_hdl(hdl)->get_resource();
      if (resource.substr(0, resource.find('?')) == kBroadcastPath) broadcast.insert(hdl);
    });
    server.set_close_handler(forget);
    server.set_fail_handler(forget);
    // A send can only fail on a connection that is closing; its close handler cleans up.
    auto publish = [&](connection_hdl from, typename Server::message_ptr msg) {
      websocketpp::lib::error_code ec;
      // The iterator moves on before the send: a member closed for its backlog may leave the set.
      for (auto it = broadcast.begin(); it != broadcast.end();) {
        connection_hdl member = *it++;
        if (!member.owner_before(from) && !from.owner_before(member)) continue;  // the sender
        auto con = server.get_con_from_hdl(member, ec);
        if (ec) continue;
        if (con->get_buffered_amount() > kMaxBacklog) {
          broadcast.erase(member);
          con->close(websocketpp::close::status::policy_violation, "backlog", ec);
          continue;
        }
        server.send(member, msg, ec);
      }
    };
    server.set_message_handler([&](connection_hdl hdl, typename Server::message_ptr msg) {
      if (broadcast.count(hdl)) return publish(hdl, msg);
      websocketpp::lib::error_code ec;
      server.send(hdl, msg->get_payload(), msg->get_opcode(), ec);
    });

    server.listen(boost::asio::ip::tcp::endpoint(address, port));
    server.start_accept();

    auto& ioc = server.get_io_service();
    boost::asio::steady_timer grace(ioc);
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      stopping = true;
      websocketpp::lib::error_code wec;
      server.stop_listening(wec);
      if (open.empty()) return server.stop();
      // Copy: a close may complete (and erase) while we walk the set.
      for (auto hdl : std::set<connection_hdl, std::owner_less<connection_hdl>>(open))
        server.close(hdl, websocketpp::close::status::going_away, "server shutdown", wec);
      grace.expires_after(kShutdownGrace);
      grace.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) server.stop();  // close handshakes overran: give up on them
      });
    });

    boost::system::error_code bec;
    boost::asio::ip::tcp::endpoint local = server.get_local_endpoint(bec);
    if (bec) throw std::runtime_error("get_local_endpoint: " + bec.message());
    std::printf("listening on %s:%u\n", host.c_str(), unsigned(local.port()));
    std::fflush(stdout);
    server.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wsalloc-peer-websocketpp: %s (host %s, port %u)\n", e.what(), host.c_str(),
                 unsigned(port));
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wsalloc-peer-websocketpp: websocketpp reference echo server (one thread)"};
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  bool deflate = false;
  app.add_option("--host", host, "address to listen on")->capture_default_str();
  app.add_option("--port", port, "port to listen on; 0 picks a free port")->capture_default_str();
  app.add_flag("--deflate", deflate, "accept permessage-deflate offers (websocketpp's extension)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  boost::system::error_code bec;
  auto address = boost::asio::ip::make_address(host, bec);
  if (bec) {
    std::fprintf(stderr, "wsalloc-peer-websocketpp: --host '%s' is not an IP address: %s\n",
                 host.c_str(), bec.message().c_str());
    return kExitUsage;
  }
  return deflate ? serve<DeflateConfig>(host, port, address) : serve<websocketpp::config::asio>(host, port, address);
}
