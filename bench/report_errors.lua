-- wrk: print the status and start of the body of any answer other than 200.
response = function(status, headers, body)
  if status ~= 200 then
    io.write("non-200: " .. status .. " " .. string.sub(body or "", 1, 200) .. "\n")
  end
end
