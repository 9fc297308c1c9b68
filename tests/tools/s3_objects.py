"""S3 for the fleet tests, through boto3 against moto (what the tests put and read themselves:
the manifests and the reports).

Usage: s3_objects.py <endpoint> mkbucket <bucket>          (versioned, as the stack's bucket)
       s3_objects.py <endpoint> put <bucket> <key>    (body on stdin; prints VersionId and ETag as JSON)
       s3_objects.py <endpoint> get <bucket> <key>    (body on stdout)
"""

import json
import sys

import boto3


def main() -> None:
    endpoint, command, bucket, *rest = sys.argv[1:]
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    if command == "mkbucket":
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    elif command == "put":
        out = s3.put_object(Bucket=bucket, Key=rest[0], Body=sys.stdin.buffer.read())
        print(json.dumps({"VersionId": out.get("VersionId"), "ETag": out.get("ETag")}))
    elif command == "get":
        sys.stdout.buffer.write(s3.get_object(Bucket=bucket, Key=rest[0])["Body"].read())
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
