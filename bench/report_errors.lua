-- wrk: print the status and start of the body of any answer that is not a success (2xx).
response = function(status, headers, body)
  if status < 200 or status >= 300 then
    io.write("not 2xx: " .. status .. " " .. string.sub(body or "", 1, 200) .. "\n")
  end
end
