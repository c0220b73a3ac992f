package acl_test

import (
	"fmt"
	"net/http"

	"github.com/hourglass-sts/hourglass/internal/acl"
)

// An object stored with x-amz-acl: public-read, then asked about by an
// anonymous GetObject and by an SA's PutObjectAcl.
func Example() {
	h := http.Header{}
	h.Set("x-amz-acl", "public-read")
	objACL, _, err := acl.FromHeaders(h, acl.Owner{ID: "folder1"})
	if err != nil {
		panic(err)
	}

	anonymous := acl.Subject{}
	sa := acl.Subject{Authenticated: true, ID: "ajesa1"}

	if p, ok := acl.Required("s3:GetObject", true); ok {
		fmt.Println("anonymous GetObject:", objACL.Allows(p, anonymous))
	}
	if p, ok := acl.Required("s3:PutObjectAcl", true); ok {
		fmt.Println("SA PutObjectAcl:", objACL.Allows(p, sa))
	}
	fmt.Printf("%s", acl.RenderXML(objACL))
	// Output:
	// anonymous GetObject: true
	// SA PutObjectAcl: false
	// <?xml version="1.0" encoding="UTF-8"?>
	// <AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>folder1</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>
}
