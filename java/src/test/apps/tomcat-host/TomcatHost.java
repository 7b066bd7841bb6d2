import java.io.File;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;

/**
 * A servlet container for dev.freshcreds.WarInTomcatTest, run as a single-file program: an
 * embedded Tomcat on a free loopback port deploys the WAR given as the first argument, the
 * program asks its servlet /sts to call the STS endpoint given as the second argument, prints the
 * answer, and stops Tomcat. Arguments: WAR, STS endpoint, work folder.
 */
public class TomcatHost {
    public static void main(String[] args) throws Exception {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(new File(args[2]).getAbsolutePath());
        tomcat.setHostname("127.0.0.1");
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        // Where Tomcat expands the WAR.
        tomcat.getHost().getAppBaseFile().mkdirs();
        // Only the WAR's own web.xml: no default and JSP servlets (Jasper is not on the class path).
        tomcat.setAddDefaultWebXmlToWebapp(false);
        Context context = tomcat.addWebapp("/app", new File(args[0]).getAbsolutePath());
        tomcat.start();
        try {
            int port = tomcat.getConnector().getLocalPort();
            URI uri = URI.create("http://127.0.0.1:" + port + "/app/sts?sts="
                    + URLEncoder.encode(args[1], StandardCharsets.UTF_8));
            HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
            int status = c.getResponseCode();
            InputStream body = status < 400 ? c.getInputStream() : c.getErrorStream();
            String text = body == null ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8);
            System.out.println("http " + status);
            System.out.print(text);
            System.out.println("web-app loader " + context.getLoader().getClassLoader().getClass().getName());
        } finally {
            tomcat.stop();
            tomcat.destroy();
        }
        System.out.println("host done");
    }
}
