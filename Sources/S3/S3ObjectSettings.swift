/// How new objects are written: their server-side encryption, storage class and canned ACL,
/// as distribution's `encrypt`, `keyid`, `storageclass` and `objectacl` ask for them.
///
/// A bucket policy that denies any `PutObject` without `x-amz-server-side-encryption` is a
/// common compliance rule; a registry that leaves the header out cannot push there, and one
/// that relies on the bucket's default silently writes in the clear where there is none.
/// So the headers go on every request that creates an object: `PutObject`,
/// `CreateMultipartUpload` (its parts inherit them) and `CopyObject` (a copy is a new object
/// and takes none of its source's settings).
public struct S3ObjectSettings: Sendable, Equatable {
    /// Server-side encryption of each new object.
    public enum Encryption: Sendable, Equatable {
        /// Keys the store manages (`AES256`, SSE-S3): distribution's `encrypt: true`.
        case storeManaged
        /// A KMS key (`aws:kms`, SSE-KMS): `encrypt: true` with `keyid`.
        case kms(keyID: String)
    }

    /// Canned ACLs S3 accepts on an object, the values distribution's `objectacl` allows.
    public static let cannedACLs = [
        "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read", "bucket-owner-read",
        "bucket-owner-full-control",
    ]

    /// Storage classes distribution 3's `storageclass` allows (`NONE` sends no class at all).
    /// Distribution 2.8 knows only `NONE`, `STANDARD` and `REDUCED_REDUNDANCY`; the rest are
    /// S3's classes for data read seldom, which a registry's old layers are.
    public static let storageClasses = [
        "NONE", "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "OUTPOSTS",
        "GLACIER_IR",
    ]

    /// `nil`: none asked for; the bucket's default encryption, if any, applies.
    public var encryption: Encryption?
    /// `nil` for S3's default class (`STANDARD`), which needs no header: stores that know no
    /// classes are then never sent one.
    public var storageClass: String?
    /// `nil` for `private`, what every new object is anyway. Buckets with ACLs disabled
    /// (object ownership "bucket owner enforced", AWS's default for new buckets) refuse most
    /// ACL headers, so the default is never sent.
    public var cannedACL: String?

    /// S3's own defaults given here (`STANDARD`, `NONE`, `private`) are kept as `nil`, so
    /// they are never sent: the headers stay those that change something.
    public init(encryption: Encryption? = nil, storageClass: String? = nil, cannedACL: String? = nil) {
        self.encryption = encryption
        self.storageClass = storageClass.flatMap { $0 == "STANDARD" || $0 == "NONE" ? nil : $0 }
        self.cannedACL = cannedACL.flatMap { $0 == "private" ? nil : $0 }
    }

    /// The request headers that create an object this way, signed with the request (every
    /// `x-amz-` header is).
    public var headers: [(String, String)] {
        var headers = [(String, String)]()
        switch encryption {
        case nil: break
        case .storeManaged: headers.append(("x-amz-server-side-encryption", "AES256"))
        case .kms(let keyID):
            headers.append(("x-amz-server-side-encryption", "aws:kms"))
            headers.append(("x-amz-server-side-encryption-aws-kms-key-id", keyID))
        }
        if let storageClass { headers.append(("x-amz-storage-class", storageClass)) }
        if let cannedACL { headers.append(("x-amz-acl", cannedACL)) }
        return headers
    }
}
