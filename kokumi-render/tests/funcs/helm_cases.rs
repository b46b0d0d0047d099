// Generated from helm v4.3.1 output (kokumi-render/tests/fixtures/funcs/README.md says how).
pub(crate) const HELM_CASES: &[(&str, &str)] = &[
    (r#"trunc 5 .Values.s"#, r#"hello"#),
    (r#"trunc -5 .Values.s"#, r#"world"#),
    (r#"trunc 50 .Values.s"#, r#"hello world"#),
    (r#"trim "  x y \n""#, r#"x y"#),
    (r#"trimAll "$" "$$a$b$$""#, r#"a$b"#),
    (r#"trimSuffix "-" "a-b-""#, r#"a-b"#),
    (r#"trimPrefix "a" "aab""#, r#"ab"#),
    (r#"upper "héllo""#, r#"HÉLLO"#),
    (r#"lower "HÉLLO""#, r#"héllo"#),
    (
        r#"title "hello wOrld-foo_bar baz""#,
        r#"Hello WOrld-Foo_bar Baz"#,
    ),
    (r#"untitle "Hello World""#, r#"hello world"#),
    (r#"substr 1 3 "hello""#, r#"el"#),
    (r#"substr -1 3 "hello""#, r#"hel"#),
    (r#"substr 2 -1 "hello""#, r#"llo"#),
    (r#"substr 2 99 "hello""#, r#"llo"#),
    (r#"repeat 3 "ab""#, r#"ababab"#),
    (r#"nospace " a b\tc ""#, r#"abc"#),
    (r#"initials "first second third""#, r#"fst"#),
    (r#"swapcase "Hello World""#, r#"hELLO wORLD"#),
    (r#"snakecase "FirstName""#, r#"first_name"#),
    (r#"snakecase "HTTPServerName""#, r#"http_server_name"#),
    (r#"snakecase "some-kebab Case""#, r#"some_kebab_case"#),
    (r#"camelcase "http_server""#, r#"HttpServer"#),
    (r#"camelcase "foo-bar baz""#, r#"FooBarBaz"#),
    (r#"kebabcase "FirstName""#, r#"first-name"#),
    (r#"kebabcase "MyHTTPServer""#, r#"my-http-server"#),
    (
        r#"wrap 10 "The quick brown fox jumps over the lazy dog""#,
        r#"The quick
brown fox
jumps over
the lazy
dog"#,
    ),
    (r#"wrapWith 5 "\t" "Hello World""#, r#"Hello	World"#),
    (r#"contains "lo w" .Values.s"#, r#"true"#),
    (r#"hasPrefix "he" .Values.s"#, r#"true"#),
    (r#"hasSuffix "xd" .Values.s"#, r#"false"#),
    (
        r#"quote "a\"b" 1 nil 2.5 .Values.m"#,
        r#""a\"b" "1" "2.5" "map[true:two x:1 z:map[deep:d]]""#,
    ),
    (r#"squote "a" 1 nil"#, r#"'a' '1'"#),
    (r#"cat "a" 1 nil 2.5 (list 1 2)"#, r#"a 1 2.5 [1 2]"#),
    (
        r#"indent 2 "a\nb\n""#,
        r#"  a
  b
  "#,
    ),
    (
        r#"nindent 4 "x""#,
        r#"
    x"#,
    ),
    (r#"replace "o" "0" .Values.s"#, r#"hell0 w0rld"#),
    (r#"plural "one" "many" 1"#, r#"one"#),
    (r#"plural "one" "many" 2"#, r#"many"#),
    (r#"toString 1.5"#, r#"1.5"#),
    (r#"toString .Values.big"#, r#"1e+06"#),
    (r#"toString .Values.l"#, r#"[1 b <nil> 2.5]"#),
    (
        r#"toString .Values.m"#,
        r#"map[true:two x:1 z:map[deep:d]]"#,
    ),
    (r#"toString true"#, r#"true"#),
    (r#"abbrev 5 "hello world""#, r#"he..."#),
    (r#"abbrevboth 5 10 "1234 5678 9123""#, r#"...5678..."#),
    (r#"join "," (list 1 "a" nil 2.5)"#, r#"1,a,2.5"#),
    (r#"join "-" .Values.sl"#, r#"b-a-c"#),
    (r#"join "," "abc""#, r#"abc"#),
    (r#"split "," "a,b,,c""#, r#"map[_0:a _1:b _2: _3:c]"#),
    (r#"splitList "," "a,b,,c""#, r#"[a b  c]"#),
    (r#"splitList "" "abc""#, r#"[a b c]"#),
    (r#"splitn "," 2 "a,b,c""#, r#"map[_0:a _1:b,c]"#),
    (r#"toStrings (list 1 nil "a" 2.5)"#, r#"[1 a 2.5]"#),
    (r#"sortAlpha (list "b" "B" "a" 10 2)"#, r#"[10 2 B a b]"#),
    (r#"sortAlpha "x""#, r#"[x]"#),
    (
        r#"sha1sum "abc""#,
        r#"a9993e364706816aba3e25717850c26c9cd0d89d"#,
    ),
    (
        r#"sha256sum "abc""#,
        r#"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"#,
    ),
    (
        r#"sha512sum "abc""#,
        r#"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"#,
    ),
    (r#"adler32sum "abc""#, r#"38600999"#),
    (r#"b64enc "hello""#, r#"aGVsbG8="#),
    (r#"b64dec "aGVsbG8=""#, r#"hello"#),
    (
        r#"b64dec "aGVsbG8""#,
        r#"illegal base64 data at input byte 4"#,
    ),
    (r#"b64dec "a$b""#, r#"illegal base64 data at input byte 1"#),
    (r#"b32enc "hello""#, r#"NBSWY3DP"#),
    (r#"b32dec "NBSWY3DP""#, r#"hello"#),
    (
        r#"b32dec "NBSWY3D""#,
        r#"illegal base32 data at input byte 0"#,
    ),
    (r#"int "0x1F""#, r#"31"#),
    (r#"int "010""#, r#"8"#),
    (r#"int "1.0""#, r#"1"#),
    (r#"int "1.5""#, r#"0"#),
    (r#"int 3.9"#, r#"3"#),
    (r#"int -3.9"#, r#"-3"#),
    (r#"int64 "-0b11""#, r#"-3"#),
    (r#"int "abc""#, r#"0"#),
    (r#"int nil"#, r#"0"#),
    (r#"int true"#, r#"1"#),
    (r#"float64 "1e3""#, r#"1000"#),
    (r#"float64 "abc""#, r#"0"#),
    (r#"float64 3"#, r#"3"#),
    (r#"atoi "42""#, r#"42"#),
    (r#"atoi "4.2""#, r#"0"#),
    (r#"atoi "99999999999999999999""#, r#"9223372036854775807"#),
    (r#"toDecimal "0777""#, r#"511"#),
    (r#"toDecimal 777"#, r#"511"#),
    (r#"typeOf (int 3)"#, r#"int"#),
    (r#"typeOf 3.5"#, r#"float64"#),
    (r#"typeOf .Values.n"#, r#"<nil>"#),
    (r#"typeOf "x""#, r#"string"#),
    (r#"typeOf nil"#, r#"<nil>"#),
    (r#"typeOf (list)"#, r#"[]interface {}"#),
    (r#"typeOf (dict)"#, r#"map[string]interface {}"#),
    (r#"typeOf .Values.m"#, r#"map[string]interface {}"#),
    (r#"kindOf .Values.m"#, r#"map"#),
    (r#"kindOf (list)"#, r#"slice"#),
    (r#"kindOf nil"#, r#"invalid"#),
    (r#"kindOf 3"#, r#"int"#),
    (r#"typeIs "string" "x""#, r#"true"#),
    (r#"typeIsLike "string" "x""#, r#"true"#),
    (r#"kindIs "map" .Values.m"#, r#"true"#),
    (r#"kindIs "slice" .Values.l"#, r#"true"#),
    (r#"deepEqual (list 1 2) (list 1 2)"#, r#"true"#),
    (r#"deepEqual 1 1.0"#, r#"false"#),
    (r#"add 1 2 3"#, r#"6"#),
    (r#"add 1.9 1.9"#, r#"2"#),
    (r#"add "3" 4"#, r#"7"#),
    (r#"add1 .Values.n"#, r#"1"#),
    (r#"sub 10 3.5"#, r#"7"#),
    (r#"div 10 3"#, r#"3"#),
    (r#"mod 10 3"#, r#"1"#),
    (r#"mul 2 3 4"#, r#"24"#),
    (r#"mul 2.5 2"#, r#"4"#),
    (r#"max 1 5 3"#, r#"5"#),
    (r#"min 4 2 8"#, r#"2"#),
    (r#"maxf 1.5 2.5 "3.5""#, r#"3.5"#),
    (r#"minf 1.5 2.5"#, r#"1.5"#),
    (r#"biggest 1 9"#, r#"9"#),
    (r#"floor 2.7"#, r#"2"#),
    (r#"ceil 2.1"#, r#"3"#),
    (r#"round 2.555 2"#, r#"2.56"#),
    (r#"round 2.5 0"#, r#"3"#),
    (r#"round 1.23456 3 0.4"#, r#"1.235"#),
    (r#"addf 0.1 0.2"#, r#"0.3"#),
    (r#"add1f 1.1"#, r#"2.1"#),
    (r#"subf 1.5 0.2"#, r#"1.3"#),
    (r#"mulf 1.1 3"#, r#"3.3"#),
    (r#"divf 10 3"#, r#"3.3333333333333335"#),
    (r#"divf 1 8"#, r#"0.125"#),
    (r#"until 5"#, r#"[0 1 2 3 4]"#),
    (r#"until -3"#, r#"[0 -1 -2]"#),
    (r#"untilStep 0 10 3"#, r#"[0 3 6 9]"#),
    (r#"untilStep 10 0 -3"#, r#"[10 7 4 1]"#),
    (r#"seq 5"#, r#"1 2 3 4 5"#),
    (r#"seq -3"#, r#"1 0 -1 -2 -3"#),
    (r#"seq 2 5"#, r#"2 3 4 5"#),
    (r#"seq 5 2"#, r#"5 4 3 2"#),
    (r#"seq 1 2 10"#, r#"1 3 5 7 9"#),
    (r#"seq 10 -2 1"#, r#"10 8 6 4 2"#),
    (r#"seq 0"#, r#"1 0"#),
    (r#"default "d" """#, r#"d"#),
    (r#"default "d" "x""#, r#"x"#),
    (r#"default "d" 0"#, r#"d"#),
    (r#"default "d" false"#, r#"d"#),
    (r#"default "d" (list)"#, r#"d"#),
    (r#"default "d" .Values.missing"#, r#"d"#),
    (r#"default "d""#, r#"d"#),
    (r#"empty """#, r#"true"#),
    (r#"empty 0"#, r#"true"#),
    (r#"empty 0.0"#, r#"true"#),
    (r#"empty (dict)"#, r#"true"#),
    (r#"empty .Values.m"#, r#"false"#),
    (r#"empty nil"#, r#"true"#),
    (r#"coalesce "" 0 nil "x" "y""#, r#"x"#),
    (r#"coalesce "" 0"#, r#"<nil>"#),
    (r#"all 1 "a" (list 1)"#, r#"true"#),
    (r#"all 1 """#, r#"false"#),
    (r#"any 0 "" "x""#, r#"true"#),
    (r#"any 0 """#, r#"false"#),
    (r#"ternary "a" "b" true"#, r#"a"#),
    (r#"ternary "a" "b" false"#, r#"b"#),
    (r#"compact (list 1 0 "" nil "x" false)"#, r#"[1 x]"#),
    (r#"list 1 "a" nil"#, r#"[1 a <nil>]"#),
    (r#"first (list 1 2)"#, r#"1"#),
    (r#"first (list)"#, r#"<nil>"#),
    (r#"last (list 1 2)"#, r#"2"#),
    (r#"rest (list 1 2 3)"#, r#"[2 3]"#),
    (r#"rest (list)"#, r#"[]"#),
    (r#"initial (list 1 2 3)"#, r#"[1 2]"#),
    (r#"append (list 1) 2"#, r#"[1 2]"#),
    (r#"prepend (list 1) 0"#, r#"[0 1]"#),
    (r#"concat (list 1) (list 2 3) (list)"#, r#"[1 2 3]"#),
    (r#"reverse (list 1 2 3)"#, r#"[3 2 1]"#),
    (r#"uniq (list 1 1 "a" "a" 1.0 2)"#, r#"[1 a 1 2]"#),
    (r#"without (list 1 2 3 1) 1 3"#, r#"[2]"#),
    (r#"has 2 (list 1 2)"#, r#"true"#),
    (r#"has "2" (list 1 2)"#, r#"false"#),
    (r#"has 1 nil"#, r#"false"#),
    (r#"slice (list 1 2 3 4) 1 3"#, r#"[2 3]"#),
    (r#"slice (list 1 2 3 4) 2"#, r#"[3 4]"#),
    (r#"slice (list 1 2 3 4)"#, r#"[1 2 3 4]"#),
    (r#"chunk 2 (list 1 2 3 4 5)"#, r#"[[1 2] [3 4] [5]]"#),
    (r#"tuple 1 2"#, r#"[1 2]"#),
    (r#"dict "a" 1 "b" "two""#, r#"map[a:1 b:two]"#),
    (r#"dict "a" 1 "b""#, r#"map[a:1 b:]"#),
    (r#"dict 1 2 true 3"#, r#"map[1:2 true:3]"#),
    (r#"get .Values.m "y""#, r#""#),
    (r#"get .Values.m "missing""#, r#""#),
    (r#"hasKey .Values.m "x""#, r#"true"#),
    (r#"hasKey .Values.m "q""#, r#"false"#),
    (r#"keys (dict "b" 1 "a" 2) | sortAlpha"#, r#"[a b]"#),
    (r#"values (dict "a" 1)"#, r#"[1]"#),
    (r#"pick .Values.m "x" "z" "q""#, r#"map[x:1 z:map[deep:d]]"#),
    (r#"omit .Values.m "x""#, r#"map[true:two z:map[deep:d]]"#),
    (
        r#"pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3)"#,
        r#"[1 3]"#,
    ),
    (r#"set (dict "a" 1) "b" 2"#, r#"map[a:1 b:2]"#),
    (r#"unset (dict "a" 1 "b" 2) "a""#, r#"map[b:2]"#),
    (
        r#"merge (dict "a" 1 "n" (dict "x" 1)) (dict "a" 2 "b" 3 "n" (dict "x" 2 "y" 3))"#,
        r#"map[a:1 b:3 n:map[x:1 y:3]]"#,
    ),
    (
        r#"mergeOverwrite (dict "a" 1 "n" (dict "x" 1)) (dict "a" 2 "b" 3 "n" (dict "x" 2 "y" 3))"#,
        r#"map[a:2 b:3 n:map[x:2 y:3]]"#,
    ),
    (
        r#"merge (dict "a" "" "b" 0 "c" false) (dict "a" "x" "b" 1 "c" true)"#,
        r#"map[a:x b:1 c:true]"#,
    ),
    (
        r#"mergeOverwrite (dict "a" "x") (dict "a" "")"#,
        r#"map[a:]"#,
    ),
    (
        r#"mergeOverwrite (dict "a" (dict "b" 1)) (dict "a" "s")"#,
        r#"map[a:s]"#,
    ),
    (
        r#"merge (dict "a" (dict "b" 1)) (dict "a" "s")"#,
        r#"map[a:map[b:1]]"#,
    ),
    (r#"dig "z" "deep" "def" .Values.m"#, r#"d"#),
    (r#"dig "z" "nope" "def" .Values.m"#, r#"def"#),
    (r#"dig "x" "def" .Values.m"#, r#"1"#),
    (
        r#"deepCopy .Values.m"#,
        r#"map[true:two x:1 z:map[deep:d]]"#,
    ),
    (r#"regexMatch "^h.*d$" .Values.s"#, r#"true"#),
    (r#"regexMatch "(" "x""#, r#"false"#),
    (r#"regexFind "o." .Values.s"#, r#"o "#),
    (r#"regexFindAll "o." .Values.s -1"#, r#"[o  or]"#),
    (r#"regexFindAll "o." .Values.s 1"#, r#"[o ]"#),
    (r#"regexFindAll "a*" "baaab" -1"#, r#"[ aaa ]"#),
    (
        r#"regexReplaceAll "(o)(.)" .Values.s "${2}$1""#,
        r#"hell owrold"#,
    ),
    (r#"regexReplaceAll "a|" "xay" "-""#, r#"-x-y-"#),
    (
        r#"regexReplaceAllLiteral "o" .Values.s "$1""#,
        r#"hell$1 w$1rld"#,
    ),
    (r#"regexSplit " " .Values.s -1"#, r#"[hello world]"#),
    (r#"regexSplit "o" .Values.s 2"#, r#"[hell  world]"#),
    (r#"regexSplit "x*" "axbxxc" -1"#, r#"[a b c]"#),
    (r#"regexQuoteMeta "a.b*c[d]-e#""#, r#"a\.b\*c\[d\]-e#"#),
    (r#"semverCompare ">=1.21-0" .Values.ver"#, r#"true"#),
    (r#"semverCompare ">=1.21" .Values.ver"#, r#"false"#),
    (r#"semverCompare "^1.2.0" "1.9.9""#, r#"true"#),
    (r#"semverCompare "~1.2.0" "1.3.0""#, r#"false"#),
    (r#"semverCompare "1.2 - 1.4" "1.4.9""#, r#"true"#),
    (r#"semverCompare ">1.x" "2.0.0""#, r#"true"#),
    (r#"semverCompare "<=1.2" "1.2.9""#, r#"true"#),
    (r#"semver "v1.2.3-rc.1+b5""#, r#"1.2.3-rc.1+b5"#),
    (r#"(semver "v1.2.3-rc.1+b5").Major"#, r#"1"#),
    (r#"(semver "1.2").Minor"#, r#"2"#),
    (r#"(semver "1.2.3-rc.1").Prerelease"#, r#"rc.1"#),
    (r#"(semver "v1.2").Original"#, r#"v1.2"#),
    (r#"base "/a/b/c.txt""#, r#"c.txt"#),
    (r#"base """#, r#"."#),
    (r#"base "/a/b/""#, r#"b"#),
    (r#"dir "/a/b/c.txt""#, r#"/a/b"#),
    (r#"dir "c.txt""#, r#"."#),
    (r#"clean "a//b/../c/./""#, r#"a/c"#),
    (r#"ext "a/b.tar.gz""#, r#".gz"#),
    (r#"ext "a.b/c""#, r#""#),
    (r#"isAbs "/x""#, r#"true"#),
    (r#"osBase "a/b""#, r#"b"#),
    (
        r#"urlParse "https://user:pw@host.com:8080/p/a?q=1&r=2#frag""#,
        r#"map[fragment:frag host:host.com:8080 hostname:host.com opaque: path:/p/a query:q=1&r=2 scheme:https userinfo:user:pw]"#,
    ),
    (
        r#"urlJoin (dict "scheme" "https" "host" "h.com" "path" "/p" "query" "a=1")"#,
        r#"https://h.com/p?a=1"#,
    ),
    (
        r#"toJson .Values.m"#,
        r#"{"true":"two","x":1,"z":{"deep":"d"}}"#,
    ),
    (
        r#"toJson (list 1.0 1e21 0.000001 1e-7 "<&>")"#,
        r#"[1,1e+21,0.000001,1e-7,"\u003c\u0026\u003e"]"#,
    ),
    (r#"toRawJson (dict "a" "<&>")"#, r#"{"a":"<&>"}"#),
    (
        r#"toPrettyJson (dict "a" (list 1 2) "b" (dict) "c" (list))"#,
        r#"{
  "a": [
    1,
    2
  ],
  "b": {},
  "c": []
}"#,
    ),
    (
        r#"fromJson "{\"a\": [1, 2.5, \"x\"], \"b\": null}""#,
        r#"map[a:[1 2.5 x] b:<nil>]"#,
    ),
    (
        r#"fromJson "[1,2]""#,
        r#"map[Error:json: cannot unmarshal array into Go value of type map[string]interface {}]"#,
    ),
    (
        r#"fromJson "{bad""#,
        r#"map[Error:invalid character 'b' looking for beginning of object key string]"#,
    ),
    (
        r#"fromJson """#,
        r#"map[Error:unexpected end of JSON input]"#,
    ),
    (r#"fromJsonArray "[1, {\"a\": 2}]""#, r#"[1 map[a:2]]"#),
    (
        r#"fromJsonArray "{}""#,
        r#"[json: cannot unmarshal object into Go value of type []interface {}]"#,
    ),
    (r#"mustFromJson "[1]""#, r#"[1]"#),
    (
        r#"toYaml .Values.m"#,
        r#""true": two
x: 1
z:
  deep: d"#,
    ),
    (r#"toYaml (list)"#, r#"[]"#),
    (
        r#"toYaml (list "0b-1" "0x+5" "0b+1" "-0b+1" "-0b1" "0o+7" "+0x5" "0b_1" "0x_5" "-0b-1" "0b1_0" "0x-5" "+0b1")"#,
        r#"- "0b-1"
- 0x+5
- "0b+1"
- -0b+1
- "-0b1"
- 0o+7
- "+0x5"
- "0b_1"
- "0x_5"
- -0b-1
- "0b1_0"
- 0x-5
- "+0b1""#,
    ),
    (
        r#"fromYaml "a: 1\nb: [x, y]\nc: yes""#,
        r#"map[a:1 b:[x true] c:true]"#,
    ),
    (
        r#"fromYaml "- 1""#,
        r#"map[Error:error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}]"#,
    ),
    (r#"fromYamlArray "- a\n- b: 1""#, r#"[a map[b:1]]"#),
    (
        r#"fromYamlArray "a: 1""#,
        r#"[error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go value of type []interface {}]"#,
    ),
    (r#"float64 "1_000.5""#, r#"1000.5"#),
    (r#"float64 "0_1.5""#, r#"1.5"#),
    (r#"float64 "1_e5""#, r#"0"#),
    (r#"float64 "1._5""#, r#"0"#),
    (r#"float64 "0x1_0p0""#, r#"16"#),
    (
        r#"fromYaml "a: .7_6\nb: 1e1_0\nc: 1_e5\nd: _1\ne: 1e999\nf: .5e999\ng: -1e400" | toJson"#,
        r#"{"a":0.76,"b":10000000000,"c":100000,"d":"_1","e":"1e999","f":".5e999","g":"-1e400"}"#,
    ),
    (
        r#"toYaml (list ".7_6" "1._5" "1e1_0" "0x1_0p0" "1e999" ".5e999")"#,
        r#"- ".7_6"
- "1._5"
- "1e1_0"
- 0x1_0p0
- 1e999
- .5e999"#,
    ),
    (r#"nospace "ΣY~\t>@ à""#, r#"Î£Y~>@Ã"#),
    (r#"nospace "Ǆ9中""#, r#"Ǆ9中"#),
    (r#"initials "ΣX/ xàb Ǆ9""#, r#"ÎxbÇ"#),
    (r#"title "ǆ9 dž ǳa ᾳb ა""#, r#"ǅ9 Dž ǲa ᾼb ა"#),
    (
        r#"swapcase "ǆ x ǆ 110ıéǆ\n\tǆ ǅA""#,
        r#"ǅ X ǅ 110IÉǄ
	ǅ ǆa"#,
    ),
    (r#"lower "İx ẞ""#, r#"ix ß"#),
    (r#"untitle "İx Σc""#, r#"ix σc"#),
    (
        r#"wrap 3 "中中 中x 中中中 a""#,
        r#"中中
中x
中中中
a"#,
    ),
    (
        r#"wrapWith 4 "" "abcdefgh ij""#,
        r#"abcd
efgh
ij"#,
    ),
    (
        r#"fromJson "-x""#,
        r#"map[Error:invalid character 'x' in numeric literal]"#,
    ),
    (
        r#"fromJson "{{""#,
        r#"map[Error:invalid character '{' looking for beginning of object key string]"#,
    ),
    (
        r#"fromJson "\\a""#,
        r#"map[Error:invalid character '\\' looking for beginning of value]"#,
    ),
    (
        r#"fromJson "1.x""#,
        r#"map[Error:invalid character 'x' in numeric literal]"#,
    ),
    (
        r#"fromJson "1ex""#,
        r#"map[Error:invalid character 'x' in numeric literal]"#,
    ),
    (
        r#"fromJson "1e-x""#,
        r#"map[Error:invalid character 'x' in numeric literal]"#,
    ),
    (r#"toYaml (dict "k" (b64dec "YX9i"))"#, r#""#),
    (r#"toYaml (dict "k" (b64dec "YWLChWM="))"#, r#"k: ab c"#),
    (
        r#"toYamlPretty (dict (b64dec "YWLChWM=") 1)"#,
        r#"? "ab\Nc"
: 1"#,
    ),
    (
        r#"toYaml (dict (b64dec "77u/aw==") (b64dec "77u/YSA5") "m" (b64dec "Ye+7v2I="))"#,
        r#""\uFEFF\x6B": "\uFEFF\x61\x20\x39"
m: "a\uFEFFb""#,
    ),
    (
        r#"fromYaml "a: 0b-1\nb: 0x+5\nc: 0o+7\nd: 0b+1\ne: -0b1\nf: +0b1\ng: -0b+1\nh: 0b1_0\ni: +0x1F\nj: -0o17\nk: 0x_1F\nl: -0b-1" | toJson"#,
        r#"{"a":-1,"b":"0x+5","c":"0o+7","d":1,"e":-1,"f":1,"g":"-0b+1","h":2,"i":31,"j":-15,"k":31,"l":"-0b-1"}"#,
    ),
    (
        r#"toYamlPretty (dict "a" (list 1 2) "b" 1.5 "c" (dict "d" "yes"))"#,
        r#"a:
  - 1
  - 2
b: 1.5
c:
  d: "yes""#,
    ),
    (r#"mustToYaml (dict "a" 1)"#, r#"a: 1"#),
    (
        r#"printf "%v|%5.2f|%-4s|%q|%x|%T" .Values.m 3.14158 "ab" "q" 255 .Values.l"#,
        r#"map[true:two x:1 z:map[deep:d]]| 3.14|ab  |"q"|ff|[]interface {}"#,
    ),
    (r#"printf "%d %s" "x" 1"#, r#"%!d(string=x) %!s(int=1)"#),
    (r#"printf "%d" 1 2"#, r#"1%!(EXTRA int=2)"#),
    (
        r#"printf "%05d|%+d|%o|%#x|%b|%c|%U" -42 5 8 255 5 65 65"#,
        r#"-0042|+5|10|0xff|101|A|U+0041"#,
    ),
    (
        r#"printf "%e|%E|%g|%G|%.3g|%8.3e" 1234.5678 1234.5678 0.00001 1e21 1234.5678 -0.5"#,
        r#"1.234568e+03|1.234568E+03|1e-05|1E+21|1.23e+03|-5.000e-01"#,
    ),
    (
        r#"printf "%t|%v|%s" true nil nil"#,
        r#"true|<nil>|%!s(<nil>)"#,
    ),
    (r#"printf "%v %v" .Values.big .Values.f"#, r#"1e+06 1.5"#),
    (r#"printf "%[2]s %[1]s" "a" "b""#, r#"b a"#),
    (r#"printf "%*d|%-*d|" 4 1 3 2"#, r#"   1|2  |"#),
    (
        r#"printf "%.2s|%.0f|%#v|%#v|%#v" "hello" 2.5 .Values.m .Values.l "s""#,
        r#"he|2|map[string]interface {}{"true":"two", "x":1, "z":map[string]interface {}{"deep":"d"}}|[]interface {}{1, "b", interface {}(nil), 2.5}|"s""#,
    ),
    (
        r#"printf "%6.2v|%x|% x|%X" 3.14158 "hi" "hi" "hi""#,
        r#"   3.1|6869|68 69|6869"#,
    ),
    (r#"printf "%s" .Values.sl"#, r#"[b a c]"#),
    (
        r#"printf "%d" .Values.l"#,
        r#"[%!d(float64=1) %!d(string=b) <nil> %!d(float64=2.5)]"#,
    ),
    (r#"print 1 2 "a" 3 nil"#, r#"1 2a3 <nil>"#),
    (
        r#"println 1 "a""#,
        r#"1 a
"#,
    ),
    (
        r#"date "2006-01-02T15:04:05Z07:00" (toDate "2006-01-02" "2024-03-05")"#,
        r#"2024-03-05T00:00:00Z"#,
    ),
    (
        r#"toDate "2006-01-02 15:04" "2024-03-05 10:11" | date "Mon Jan _2 3:04PM 2006 .000""#,
        r#"Tue Mar  5 10:11AM 2024 .000"#,
    ),
    (
        r#"dateInZone "2006-01-02 15:04 MST -07:00" (toDate "2006-01-02T15:04:05Z07:00" "2024-07-01T12:00:00Z") "Europe/Berlin""#,
        r#"2024-07-01 14:00 CEST +02:00"#,
    ),
    (
        r#"dateInZone "2006-01-02 15:04 MST" (toDate "2006-01-02T15:04:05Z07:00" "2024-07-01T12:00:00Z") "Nowhere/Bad""#,
        r#"2024-07-01 12:00 UTC"#,
    ),
    (
        r#"unixEpoch (toDate "2006-01-02" "2024-03-05")"#,
        r#"1709596800"#,
    ),
    (
        r#"dateModify "1h30m" (toDate "2006-01-02" "2024-03-05") | date "15:04""#,
        r#"01:30"#,
    ),
    (
        r#"dateModify "bogus" (toDate "2006-01-02" "2024-03-05") | date "15:04""#,
        r#"00:00"#,
    ),
    (
        r#"htmlDate (toDate "2006-01-02" "2024-03-05")"#,
        r#"2024-03-05"#,
    ),
    (
        r#"htmlDateInZone (toDate "2006-01-02T15:04:05Z07:00" "2024-03-05T23:30:00Z") "Asia/Tokyo""#,
        r#"2024-03-06"#,
    ),
    (
        r#"toDate "2006-01-02" "bad""#,
        r#"0001-01-01 00:00:00 +0000 UTC"#,
    ),
    (
        r#"toDate "2006-01-02T15:04:05Z07:00" "2024-03-05T10:11:12.5+02:00""#,
        r#"2024-03-05 10:11:12.5 +0200 +0200"#,
    ),
    (r#"date "2006-01-02" 0"#, r#"1970-01-01"#),
    (
        r#"date "January 2, 2006 15:04:05.999" (toDate "2006-01-02 15:04:05.000" "2024-03-05 01:02:03.450")"#,
        r#"March 5, 2024 01:02:03.45"#,
    ),
    (r#"duration "3700""#, r#"1h1m40s"#),
    (r#"duration 86400"#, r#"0s"#),
    (r#"durationRound "2h10m""#, r#"2h"#),
    (r#"durationRound "49h""#, r#"2d"#),
    (r#"durationRound "400000h""#, r#"45y"#),
    (r#"mustToDuration "90""#, r#"1m30s"#),
    (r#"mustToDuration "1h30m""#, r#"1h30m0s"#),
    (r#"mustToDuration 3.5"#, r#"3.5s"#),
    (r#"typeOf (mustToDuration "1s")"#, r#"time.Duration"#),
    (r#"durationSeconds "1m30s""#, r#"90"#),
    (r#"durationMinutes 90"#, r#"1.5"#),
    (r#"durationHours "90m""#, r#"1.5"#),
    (r#"durationDays "36h""#, r#"1.5"#),
    (r#"durationWeeks "84h""#, r#"0.5"#),
    (r#"durationMilliseconds "1.5s""#, r#"1500"#),
    (r#"durationMicroseconds "1ms""#, r#"1000"#),
    (r#"durationNanoseconds "1us""#, r#"1000"#),
    (r#"durationRoundTo "1h29m" "1h""#, r#"1h0m0s"#),
    (r#"durationTruncateTo "1h59m" "1h""#, r#"1h0m0s"#),
    (r#"durationSeconds "nope""#, r#"0"#),
    (
        r#"toToml .Values.m"#,
        r#"true = "two"
x = 1.0

[z]
  deep = "d"
"#,
    ),
    (
        r#"toToml (dict "a" 1 "b" (list 1 2) "c" (dict "d" "x" "e" (dict "f" 1.5)) "t" (list (dict "x" 1) (dict "x" 2)) "n" nil "q k" "v\"\t")"#,
        r#"a = 1
b = [1, 2]
"q k" = "v\"\t"

[c]
  d = "x"
  [c.e]
    f = 1.5

[[t]]
  x = 1

[[t]]
  x = 2
"#,
    ),
    (r#"toToml (list 1 2)"#, r#"[1, 2]"#),
    (r#"toToml "x""#, r#""x""#),
    (
        r#"fromToml "a = 1\nb = [1.5, \"x\"]\n[c]\nd = true""#,
        r#"map[a:1 b:[1.5 x] c:map[d:true]]"#,
    ),
    (
        r#"derivePassword 1 "long" "password" "user" "example.com""#,
        r#"ZedaFaxcZaso9*"#,
    ),
    (
        r#"derivePassword 2 "pin" "password" "user" "example.com""#,
        r#"3882"#,
    ),
    (
        r#"derivePassword 1 "bogus" "p" "u" "s""#,
        r#"cannot find password template bogus"#,
    ),
    (r#"htpasswd "a:b" "x""#, r#"invalid username: a:b"#),
    (
        r#"decryptAES "key" (encryptAES "key" "secret")"#,
        r#"secret"#,
    ),
    (r#"encryptAES "key" """#, r#""#),
    (r#"genPrivateKey "foo""#, r#"Unknown type foo"#),
    (r#"len (randAlphaNum 10)"#, r#"10"#),
    (r#"len (uuidv4)"#, r#"36"#),
    (r#"len (randBytes 12)"#, r#"16"#),
    (r#"regexMatch "^[\\w-\\.]+$" "a-b.c""#, r#"true"#),
    (r#"typeOf (add 1 2)"#, r#"int64"#),
    (r#"typeOf (sub 3 1)"#, r#"int64"#),
    (r#"typeOf (mul 2 3)"#, r#"int64"#),
    (r#"typeOf (div 4 2)"#, r#"int64"#),
    (r#"typeOf (mod 5 2)"#, r#"int64"#),
    (r#"typeOf (add1 1)"#, r#"int64"#),
    (r#"typeOf (max 1 2)"#, r#"int64"#),
    (r#"typeOf (min 1 2.5)"#, r#"int64"#),
    (r#"typeOf (add 1.5 1)"#, r#"int64"#),
    (r#"typeOf (int64 3)"#, r#"int64"#),
    (r#"typeOf (toDecimal "7")"#, r#"int64"#),
    (r#"typeOf (int 3)"#, r#"int"#),
    (r#"typeOf (atoi "3")"#, r#"int"#),
    (r#"typeOf (len "ab")"#, r#"int"#),
    (r#"typeOf 3"#, r#"int"#),
    (r#"kindOf (sub 3 1)"#, r#"int64"#),
    (r#"kindIs "int" (add 1 1)"#, r#"false"#),
    (r#"kindIs "int64" (add 1 1)"#, r#"true"#),
    (r#"typeIs "int" (index (until 2) 0)"#, r#"true"#),
    (r#"typeOf (fromToml "a = 1").a"#, r#"int64"#),
    (r#"typeOf (durationNanoseconds "1s")"#, r#"int64"#),
    (r#"typeOf (mustToDuration "1s").Milliseconds"#, r#"int64"#),
    (r#"typeOf (index (dict "a" (add 1 1)) "a")"#, r#"int64"#),
    (r#"has 1 (list (add 0 1))"#, r#"false"#),
    (r#"has (add 0 1) (list (add 0 1))"#, r#"true"#),
    (r#"list 1 (add 0 1) | uniq"#, r#"[1 1]"#),
    (r#"without (list 1 2) (add 0 1)"#, r#"[1 2]"#),
    (r#"eq 1 (add 0 1)"#, r#"true"#),
    (r#"lt (int 1) (add 1 1)"#, r#"true"#),
    (r#"index (list 5 6) (add 0 1)"#, r#"6"#),
    (
        r#"printf "%T %d %v" (sub 5 2) (sub 5 2) (sub 5 2)"#,
        r#"int64 3 3"#,
    ),
    (r#"printf "%s" (add 1 1)"#, r#"%!s(int64=2)"#),
    (r#"dict "a" (add 1 1) | toJson"#, r#"{"a":2}"#),
    (r#"printf "%[2]d %.3g" 1e-7"#, r#"%!d(BADINDEX) 1e-07"#),
    (
        r#"printf "%[5]d %d %d|%[x]d %d|%[2]*[1]d|%[1]*d|%.*d|%-*d|%*d|%[0]d|%." 1e-7 3 4 5"#,
        r#"%!d(BADINDEX) %!d(float64=1e-07) 3|%!d(BADINDEX) 4|%!d(float64=1e-07)|%!(BADWIDTH)3|0005|%!(BADWIDTH)%!d(MISSING)|%!(BADWIDTH)%!d(MISSING)|%!d(BADINDEX)|%!.(MISSING)"#,
    ),
    (
        r#"printf "%.[2]d|%[1].2d|%[1]2d|%[3]*.[2]*[1]f|%[]d|%[1]|%[9" 12.5 2 6"#,
        r#"2|%!d(BADINDEX)|%!d(BADINDEX)| 12.50|%!d(BADINDEX)|%!|(float64=12.5)%!(NOVERB)"#,
    ),
    (
        r#"printf "%*d|%.*d|%*d" 10000000 1 -2 5 "x" 3"#,
        r#"%!(BADWIDTH)1|%!(BADPREC)5|%!(BADWIDTH)3"#,
    ),
    (
        r#"printf "%#x|%#x|%#x|%#.2x|%#X|%#x|%#.0x|%#x" 3.0 1.0 0.0 3.0 -2.5 1e300 1.0 0.1"#,
        r#"0x1.8000p+01|0x1.0000p+00|0x0.0000p+00|0x1.80p+01|-0X1.4P+01|0x1.7e43c8800759cp+996|0x1.p+00|0x1.999999999999ap-04"#,
    ),
    (
        r#"printf "%G|%E|%X|%G|%e|%x" (float64 "NaN") (float64 "-Inf") (float64 "+Inf") (float64 "-Inf") (float64 "NaN") (float64 "-Inf")"#,
        r#"NaN|-Inf|+Inf|-Inf|NaN|-Inf"#,
    ),
    (
        r#"printf "%08b|%-8q|%6.2v|%10s|" (list nil 1) (dict "k" nil) (list (dict "k" nil)) (list nil)"#,
        r#"[<nil> 00000001]|map["k"     :<nil>]|[map[     k:<nil>]]|[<nil>]|"#,
    ),
    (
        r#"b32dec "a: 1\nb: [x]""#,
        r#"illegal base32 data at input byte 0"#,
    ),
    (
        r#"b32dec "NBSWY3D""#,
        r#"illegal base32 data at input byte 0"#,
    ),
    (r#"b32dec "NB======NB""#, r#"h"#),
    (
        r#"b32dec "N=======""#,
        r#"illegal base32 data at input byte 1"#,
    ),
    (
        r#"b32dec "NBSWY3DPE=======""#,
        r#"illegal base32 data at input byte 9"#,
    ),
    (
        r#"urlParse "http://u%41!:p@w@h:8/p%20q?x=1#f%21" | toJson"#,
        r#"{"fragment":"f!","host":"h:8","hostname":"h","opaque":"","path":"/p q","query":"x=1","scheme":"http","userinfo":"uA%21:p%40w"}"#,
    ),
    (
        r#"urlParse "///a/b" | toJson"#,
        r#"{"fragment":"","host":"","hostname":"","opaque":"","path":"///a/b","query":"","scheme":"","userinfo":""}"#,
    ),
    (
        r#"urlParse "//[fe80::1%25en0]:80/x" | toJson"#,
        r#"{"fragment":"","host":"[fe80::1%en0]:80","hostname":"fe80::1%en0","opaque":"","path":"/x","query":"","scheme":"","userinfo":""}"#,
    ),
    (
        r#"urlParse "mailto:a@b?s" | toJson"#,
        r#"{"fragment":"","host":"","hostname":"","opaque":"a@b","path":"","query":"s","scheme":"mailto","userinfo":""}"#,
    ),
    (
        r#"urlParse "*" | toJson"#,
        r#"{"fragment":"","host":"","hostname":"","opaque":"","path":"*","query":"","scheme":"","userinfo":""}"#,
    ),
    (
        r#"semverCompare ">=1.2.3, <2" "v1.30.2-eks-abc""#,
        r#"false"#,
    ),
    (r#"semverCompare "1.2.3 || >3" "1.2.3-alpha""#, r#"false"#),
    (r#"semverCompare "~> 1.2" "1.2.9""#, r#"true"#),
    (
        r#"semverCompare "<1.2.3-beta.2" "1.2.3-beta.1+b""#,
        r#"true"#,
    ),
    (
        r#"dateInZone "Jan 2, 2006 at 3:04pm (MST)" (toDate "2006-01-02T15:04:05Z07:00" "2021-03-04T05:06:07+02:00") "Asia/Kolkata""#,
        r#"Mar 4, 2021 at 8:36am (IST)"#,
    ),
    (
        r#"date "060102 15:04:05.999999999 __2 .000 PM" (toDate "2006-01-02 15:04" "2020-12-31 23:59")"#,
        r#"201231 23:59:00 366 .000 PM"#,
    ),
    (r#"durationRound "27h10m""#, r#"1d"#),
];
