import java.net.URI;
import java.nio.charset.StandardCharsets;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Hadoop's S3A file system with freshcreds' SDK v2 provider, for dev.freshcreds.HadoopS3aTest,
 * run as a single-file program: against the S3 endpoint given as the first argument (moto's
 * server), in the bucket given as the second (which must exist), it writes an object, lists its
 * folder and reads it back, printing "wrote", "list NAME ..." and "read TEXT", then the
 * credentials provider S3A used.
 */
public class S3aProbe {
    public static void main(String[] args) throws Exception {
        Configuration conf = new Configuration();
        conf.set("fs.s3a.aws.credentials.provider", "dev.freshcreds.sdkv2.FreshAwsCredentialsProvider");
        conf.set("fs.s3a.endpoint", args[0]);
        conf.set("fs.s3a.endpoint.region", "us-east-1");
        conf.setBoolean("fs.s3a.path.style.access", true);
        conf.setBoolean("fs.s3a.connection.ssl.enabled", false);
        conf.setInt("fs.s3a.attempts.maximum", 1);
        conf.setInt("fs.s3a.retry.limit", 1);
        String text = "written through S3A with freshcreds";
        try (FileSystem fs = FileSystem.newInstance(URI.create("s3a://" + args[1] + "/"), conf)) {
            Path object = new Path("/freshcreds/object.txt");
            try (FSDataOutputStream out = fs.create(object, true)) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
            }
            System.out.println("wrote");
            StringBuilder list = new StringBuilder("list");
            for (FileStatus s : fs.listStatus(new Path("/freshcreds"))) {
                list.append(' ').append(s.getPath().getName());
            }
            System.out.println(list);
            byte[] buffer = new byte[1024];
            int n;
            try (FSDataInputStream in = fs.open(object)) {
                n = in.read(buffer);
            }
            System.out.println("read " + new String(buffer, 0, Math.max(n, 0), StandardCharsets.UTF_8));
            System.out.println("provider " + ((org.apache.hadoop.fs.s3a.S3AFileSystem) fs).shareCredentials("probe"));
        }
    }
}
