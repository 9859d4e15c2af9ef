// expect: config:3: While configuring 'f :: IPFilter': pattern 1: bad port '99999'
InfiniteSource ->
f :: IPFilter(allow tcp dst port 80,
              allow udp dst port 99999,
              deny all)
  -> Discard;
