package rolemap.neo4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.time.Duration;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * A Neo4j 5 community database in a directory, with Bolt on 127.0.0.1 and authentication off:
 * a local server for tests and development, never for production. It runs in the foreground
 * until SIGTERM or SIGINT, then shuts the database down cleanly.
 */
public final class LocalNeo4j {
    private LocalNeo4j() {}

    public static void main(String[] args) throws Exception {
        int port = -1;
        Path data = null;
        long pageCacheMb = 256;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (arg) {
                case "--port" -> { port = Integer.parseInt(require(arg, value)); i++; }
                case "--data" -> { data = Path.of(require(arg, value)); i++; }
                case "--page-cache-mb" -> { pageCacheMb = Long.parseLong(require(arg, value)); i++; }
                default -> usage("unknown argument " + arg);
            }
        }
        if (port < 1 || port > 65535) usage("--port P (1..65535) is required");
        if (data == null) usage("--data DIR is required");
        Files.createDirectories(data);

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(data.toAbsolutePath())
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMb))
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "false")
                // Nothing leaves this machine: no usage reports to neo4j.com.
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .setConfig(GraphDatabaseInternalSettings.udc_network_enabled, false)
                // A test server stops in about a second, not after Netty's default grace periods.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(2))
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("neo4j: shutting down");
            dbms.shutdown();
            System.out.println("neo4j: stopped");
            stopped.countDown();
        }, "neo4j-shutdown"));
        // The database must answer before we say so: the launcher's callers wait for this line.
        dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
        System.out.println("neo4j: ready on bolt://127.0.0.1:" + port + " (data " + data.toAbsolutePath() + ")");
        System.out.flush();
        stopped.await();
    }

    private static String require(String flag, String value) {
        if (value == null) usage(flag + " needs a value");
        return value;
    }

    private static void usage(String problem) {
        System.err.println("tools/neo4j/run: " + problem);
        System.err.println("usage: tools/neo4j/run --port P --data DIR [--page-cache-mb N]");
        System.exit(2);
    }
}
