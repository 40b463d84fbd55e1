// response_wire: the bytes of a string-body HTTP response, status line,
// fields and body in one contiguous string.
//
// The plain-TCP session writes these with one send() (http_session.cpp);
// a large body (a batch check answer is ~600 KB) is not copied: the head
// goes out from its own string and the body from the response, gathered
// into one send.
// Beast's serializer would produce the same bytes through a cascade of
// buffer-sequence views; for the small JSON answers that make up almost
// all traffic (a check is ~200 bytes), walking those views cost more CPU
// than the copy into one string. Fields are written as stored, so the
// caller prepares the payload (Content-Length) first, as for Beast.
#pragma once

#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace banlist::service {

// Appends the response's status line and fields (through the blank line).
void append_head(const boost::beast::http::response<boost::beast::http::string_body>& res,
                 std::string& out);
// Appends the response's wire form to `out`: the head, then the body.
void append_wire(const boost::beast::http::response<boost::beast::http::string_body>& res,
                 std::string& out);

}  // namespace banlist::service
