/*
 * getOriginalDst(fd, family): the destination a connection had before an iptables REDIRECT/DNAT rewrote it
 * (SO_ORIGINAL_DST / IP6T_SO_ORIGINAL_DST). Returns { address, port }, or null when the socket has no NAT entry.
 * Other failures throw with the errno name.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter_ipv4.h>

#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

static napi_value make_result(napi_env env, const char *addr, unsigned port) {
  napi_value obj, a, p;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, addr, NAPI_AUTO_LENGTH, &a);
  napi_create_uint32(env, port, &p);
  napi_set_named_property(env, obj, "address", a);
  napi_set_named_property(env, obj, "port", p);
  return obj;
}

static napi_value get_original_dst(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1, family = 4;
  napi_value nul;
  napi_get_null(env, &nul);
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &family) != napi_ok) {
    napi_throw_type_error(env, NULL, "getOriginalDst(fd, family) expects two integers");
    return NULL;
  }
  char buf[INET6_ADDRSTRLEN];
  if (family == 6) {
    struct sockaddr_in6 sa;
    socklen_t len = sizeof(sa);
    memset(&sa, 0, sizeof(sa));
    if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &sa, &len) != 0) goto fail;
    if (!inet_ntop(AF_INET6, &sa.sin6_addr, buf, sizeof(buf))) goto fail;
    return make_result(env, buf, ntohs(sa.sin6_port));
  }
  {
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    memset(&sa, 0, sizeof(sa));
    if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &sa, &len) != 0) goto fail;
    if (!inet_ntop(AF_INET, &sa.sin_addr, buf, sizeof(buf))) goto fail;
    return make_result(env, buf, ntohs(sa.sin_port));
  }
fail:
  /* ENOENT: no conntrack/NAT entry (not redirected); ENOPROTOOPT: netfilter not loaded. */
  if (errno == ENOENT || errno == ENOPROTOOPT || errno == ENOTCONN) return nul;
  napi_throw_error(env, "WEFT_ERR_ORIGINAL_DST", strerror(errno));
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "getOriginalDst", NAPI_AUTO_LENGTH, get_original_dst, NULL, &fn);
  napi_set_named_property(env, exports, "getOriginalDst", fn);
  return exports;
}
