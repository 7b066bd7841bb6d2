package app;

import java.io.IOException;
import java.net.URI;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Builds default SDK v1 and v2 STS clients (no credentials configured) against the STS endpoint
 * given as the request parameter {@code sts} and answers one line per call: "v2 ok ARN",
 * "v1 failed CODE", "v2 no credentials", then the class loader that loaded the SDK v2 client.
 */
public class StsServlet extends HttpServlet {
    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String sts = request.getParameter("sts");
        StringBuilder out = new StringBuilder();
        try (software.amazon.awssdk.services.sts.StsClient v2 = software.amazon.awssdk.services.sts.StsClient.builder()
                .endpointOverride(URI.create(sts))
                .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                .build()) {
            out.append("v2 ").append(v2call(v2)).append('\n');
            out.append("v2 loader ").append(v2.getClass().getClassLoader().getClass().getName()).append('\n');
        }
        com.amazonaws.services.securitytoken.AWSSecurityTokenService v1 =
                com.amazonaws.services.securitytoken.AWSSecurityTokenServiceClientBuilder.standard()
                        .withEndpointConfiguration(
                                new com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration(sts, "us-east-1"))
                        .withClientConfiguration(new com.amazonaws.ClientConfiguration().withMaxErrorRetry(0))
                        .build();
        out.append("v1 ").append(v1call(v1)).append('\n');
        v1.shutdown();
        response.setContentType("text/plain");
        response.getWriter().write(out.toString());
    }

    static String v2call(software.amazon.awssdk.services.sts.StsClient c) {
        try {
            return "ok " + c.getCallerIdentity().arn();
        } catch (software.amazon.awssdk.awscore.exception.AwsServiceException e) {
            return "failed " + e.awsErrorDetails().errorCode();
        } catch (software.amazon.awssdk.core.exception.SdkClientException e) {
            return "no credentials";
        }
    }

    static String v1call(com.amazonaws.services.securitytoken.AWSSecurityTokenService c) {
        try {
            return "ok " + c.getCallerIdentity(new com.amazonaws.services.securitytoken.model.GetCallerIdentityRequest()).getArn();
        } catch (com.amazonaws.AmazonServiceException e) {
            return "failed " + e.getErrorCode();
        } catch (com.amazonaws.SdkClientException e) {
            return "no credentials";
        }
    }
}
