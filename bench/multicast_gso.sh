#!/bin/bash
# CPU of nvt sending one multicast group (StartMulticastStreaming of `main` on a replayed
# clip), UDP GSO on and off (NVT_UDP_GSO=0), in a pair of network namespaces. Root.
# Usage: CLIP=clip4m.h264 [NVT=...] [PY=zeep venv python] [SECS=20] bench/multicast_gso.sh
set -e
NVT=${NVT:-target/release/nvt}
CLIP=${CLIP:?a 720p25 H.264 Annex-B clip, e.g. the one bench/run.sh makes}
SECS=${SECS:-20}
PY=${PY:-target/zeep-venv/bin/python}
S=nvtSmcb; C=nvtCmcb
cleanup() { ip netns del $S 2>/dev/null || true; ip netns del $C 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add $S; ip netns add $C
ip link add vSmcb type veth peer name vCmcb
ip link set vSmcb netns $S; ip link set vCmcb netns $C
ip -n $S addr add 10.214.9.1/24 dev vSmcb; ip -n $C addr add 10.214.9.2/24 dev vCmcb
for n in $S:vSmcb $C:vCmcb; do ip -n ${n%:*} link set ${n#*:} up; ip -n ${n%:*} link set lo up; ip -n ${n%:*} route add 224.0.0.0/4 dev ${n#*:}; done
for gso in 1 0; do
  st=$(mktemp -d)
  NVT_UDP_GSO=$gso NVT_ADMIN_PASSWORD=bench-Secret1 ip netns exec $S $NVT --state-dir $st --bind 10.214.9.1 \
     --http-port 8080 --rtsp-port 8554 --no-discovery --replay $CLIP > $st/log 2>&1 &
  pid=$!
  for i in $(seq 60); do grep -q "nvt running" $st/log && break; sleep 0.5; done
  ip netns exec $C $PY conformance/onvif-zeep/ha_media.py 10.214.9.1 8080 admin bench-Secret1 wsse multicast start main >/dev/null
  # a receiver on the group (what it receives: datagrams and bytes)
  ip netns exec $C python3 -c "
import socket,struct,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
s.bind(('239.255.42.42',5000));s.setsockopt(socket.IPPROTO_IP,socket.IP_ADD_MEMBERSHIP,struct.pack('4s4s',socket.inet_aton('239.255.42.42'),socket.inet_aton('10.214.9.2')))
s.settimeout(0.5);n=b=mx=0;end=time.time()+$SECS+2
while time.time()<end:
  try: d=s.recv(65536);n+=1;b+=len(d);mx=max(mx,len(d))
  except socket.timeout: pass
print('received',n,'datagrams',b*8/($SECS+2)/1e6,'Mbit/s max',mx)" > $st/rx &
  rx=$!
  sleep 2
  nvtpid=$(pgrep -P $pid -x nvt || echo $pid)
  t0=$(awk '{print $14+$15}' /proc/$nvtpid/stat)
  sleep $SECS
  t1=$(awk '{print $14+$15}' /proc/$nvtpid/stat)
  wait $rx
  echo "NVT_UDP_GSO=$gso: CPU $(echo "scale=2; ($t1-$t0)*100/$(getconf CLK_TCK)/$SECS" | bc) % of one core over ${SECS}s; $(cat $st/rx); load $(cut -d' ' -f1 /proc/loadavg)"
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf $st
done
