/* Sources, splitting, rate control and pull paths; DriverManager stops the run. */
InfiniteSource(LIMIT 1000, STOP true)
  -> Paint(3)
  -> t :: Tee(2);
t[0] -> ps :: PaintSwitch;
ps[0] -> Discard; ps[1] -> Discard; ps[2] -> Discard; ps[3] -> Discard;
t[1] -> rs :: RatedSplitter(1000) -> SimpleQueue(10) -> RatedUnqueue(500) -> Discard;
rs[1] -> h :: HashSwitch(26, 4);
h[0] -> Idle; h[1] -> rr :: RoundRobinSwitch -> Discard;
rr[1] -> Truncate(60) -> EtherMirror -> SetIPDSCP(46) -> DecIPTTL -> IPPrint(x) -> Discard;
RatedSource(RATE 10, LIMIT 5) -> ToDump(/dev/null);
DriverManager(wait_stop, stop);
