// session_stream: the calls a session makes on the lowest layer of its
// stream beyond reading and writing — a deadline for the next operation,
// cancelling a wait, closing. Beast's tcp_stream (plain or under TLS) has
// them all. Beast's in-memory test stream, on which the HTTP fuzzer
// (tests/fuzz/http_session_fuzz.cpp) serves its inputs, has no timer and no
// socket: there a deadline is not set (the fuzzer's input ends in EOF, so no
// read waits) and cancelling or closing closes the stream.
//
// Free functions on a stream the caller owns; they run on its strand.
#pragma once

#include <chrono>
#include <type_traits>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace banlist::service {

// A lowest layer with a timer and a socket (Beast's basic_stream).
template <class Lowest>
concept socket_layer = requires(Lowest& lowest, boost::beast::error_code& ec,
                                std::chrono::milliseconds timeout) {
  lowest.expires_after(timeout);
  lowest.expires_never();
  lowest.socket().cancel(ec);
  lowest.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  lowest.close();
};

// Arms the lowest layer's deadline for the next operation, if it has one.
template <class Stream, class Duration>
void expire_after(Stream& stream, Duration timeout) {
  if constexpr (socket_layer<boost::beast::lowest_layer_type<Stream>>)
    boost::beast::get_lowest_layer(stream).expires_after(timeout);
}

// Drops the lowest layer's deadline (Beast keeps it for the operations that
// follow the one it was set for).
template <class Stream>
void clear_expiry(Stream& stream) {
  if constexpr (socket_layer<boost::beast::lowest_layer_type<Stream>>)
    boost::beast::get_lowest_layer(stream).expires_never();
}

// Makes a pending read return (operation_aborted on a socket).
template <class Stream>
void cancel_pending(Stream& stream) {
  auto& lowest = boost::beast::get_lowest_layer(stream);
  if constexpr (socket_layer<boost::beast::lowest_layer_type<Stream>>) {
    boost::beast::error_code ignored;
    lowest.socket().cancel(ignored);
  } else {
    lowest.close();
  }
}

// Whether bytes the peer sent wait unread in the socket (never for a test
// stream without one).
template <class Stream>
bool bytes_waiting(Stream& stream) {
  if constexpr (socket_layer<boost::beast::lowest_layer_type<Stream>>) {
    boost::beast::error_code ec;
    const std::size_t n = boost::beast::get_lowest_layer(stream).socket().available(ec);
    return !ec && n > 0;
  } else {
    return false;
  }
}

// Reads some bytes with no deadline of Beast's (the caller keeps its own,
// like http_session's watchdog). On plain TCP straight from the socket:
// Beast's timed read wraps each read in a timer-aware operation and work
// guards, a cost the check path pays on every request for nothing.
template <class Stream, class MutableBuffers, class Token>
auto async_read_some_unguarded(Stream& stream, const MutableBuffers& buffers, Token&& token) {
  if constexpr (std::is_same_v<Stream, boost::beast::tcp_stream>) {
    return stream.socket().async_read_some(buffers, std::forward<Token>(token));
  } else {
    return stream.async_read_some(buffers, std::forward<Token>(token));
  }
}

// Sends FIN (so the peer reads every byte before EOF), then closes.
template <class Stream>
void shutdown_and_close(Stream& stream) {
  auto& lowest = boost::beast::get_lowest_layer(stream);
  if constexpr (socket_layer<boost::beast::lowest_layer_type<Stream>>) {
    boost::beast::error_code ignored;
    lowest.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  }
  lowest.close();
}

}  // namespace banlist::service
