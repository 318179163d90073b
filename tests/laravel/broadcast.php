<?php
// Publishes through Laravel's own broadcasting stack — BroadcastManager, the `redis` driver's
// RedisBroadcaster over phpredis, the sync queue, the notification channel manager — exactly as a
// Laravel app with BROADCAST_DRIVER=redis and QUEUE_CONNECTION=sync does, without an app skeleton:
// a bare container wired the way Laravel's service providers wire it.
//
// Usage: php broadcast.php REDIS_PORT PREFIX SOCKET_ID USER_ID
//   1. broadcast(new OrderShipped(1));
//   2. broadcast(new OrderShipped(2))->toOthers();   with X-Socket-ID: SOCKET_ID on the request
//   3. $user->notify(new InvoicePaid(3));             a broadcast notification to user USER_ID
// or:    php broadcast.php REDIS_PORT PREFIX SOCKET_ID USER_ID FIRST LAST
//   broadcast(new OrderShipped(n)) for n from FIRST to LAST, and nothing else.
// Debian's php-laravel-framework and php-redis packages provide the framework and the driver.

declare(strict_types=1);

// First, so the classes below find the framework's traits and interfaces.
namespace {
    require_once 'Illuminate/autoload.php'; // on PHP's default include_path (the Debian package)
    require_once 'Illuminate/Foundation/helpers.php'; // broadcast(), app()
}

namespace App\Events {
    use Illuminate\Broadcasting\Channel;
    use Illuminate\Broadcasting\InteractsWithSockets;
    use Illuminate\Contracts\Broadcasting\ShouldBroadcast;
    use Illuminate\Foundation\Events\Dispatchable;
    use Illuminate\Queue\SerializesModels;

    class OrderShipped implements ShouldBroadcast
    {
        use Dispatchable, InteractsWithSockets, SerializesModels;

        public function __construct(public int $id, public string $note = "caf\u{e9} \"1\" / 2")
        {
        }

        public function broadcastOn()
        {
            return new Channel('orders');
        }
    }
}

namespace App\Notifications {
    use Illuminate\Notifications\Messages\BroadcastMessage;
    use Illuminate\Notifications\Notification;

    class InvoicePaid extends Notification
    {
        public function __construct(public int $invoice)
        {
        }

        public function via($notifiable)
        {
            return ['broadcast'];
        }

        public function toBroadcast($notifiable)
        {
            return new BroadcastMessage(['invoice' => $this->invoice]);
        }
    }
}

namespace App\Models {
    use Illuminate\Notifications\Notifiable;

    class User
    {
        use Notifiable;

        public function __construct(public string $id)
        {
        }

        // What Eloquent's default gives App\Models\User: the channel Echo's .notification() joins.
        public function receivesBroadcastNotificationsOn()
        {
            return 'App.Models.User.' . $this->id;
        }
    }
}

namespace {
    use Illuminate\Broadcasting\BroadcastManager;
    use Illuminate\Bus\Dispatcher as BusDispatcher;
    use Illuminate\Config\Repository;
    use Illuminate\Container\Container;
    use Illuminate\Contracts\Broadcasting\Factory as BroadcastFactory;
    use Illuminate\Contracts\Bus\Dispatcher as BusDispatcherContract;
    use Illuminate\Contracts\Container\Container as ContainerContract;
    use Illuminate\Contracts\Events\Dispatcher as EventsContract;
    use Illuminate\Contracts\Notifications\Dispatcher as NotificationsContract;
    use Illuminate\Events\Dispatcher;
    use Illuminate\Http\Request;
    use Illuminate\Notifications\ChannelManager;
    use Illuminate\Queue\Connectors\SyncConnector;
    use Illuminate\Queue\QueueManager;
    use Illuminate\Redis\RedisManager;
    use Illuminate\Support\Facades\Facade;
    use App\Events\OrderShipped;
    use App\Models\User;
    use App\Notifications\InvoicePaid;

    [, $port, $prefix, $socket, $userId, $first, $last] = $argv + array_fill(0, 7, null);
    if ($userId === null) {
        fwrite(STDERR, "usage: php broadcast.php REDIS_PORT PREFIX SOCKET_ID USER_ID [FIRST LAST]\n");
        exit(2);
    }

    $app = new Container();
    Container::setInstance($app);
    $app->instance(ContainerContract::class, $app);
    Facade::setFacadeApplication($app);
    $app->instance('config', new Repository([
        'broadcasting' => [
            'default' => 'redis',
            'connections' => ['redis' => ['driver' => 'redis', 'connection' => 'default']],
        ],
        'database' => ['redis' => [
            'client' => 'phpredis',
            'options' => ['prefix' => $prefix],
            'default' => ['host' => '127.0.0.1', 'port' => (int) $port, 'database' => 0],
        ]],
        'queue' => ['default' => 'sync', 'connections' => ['sync' => ['driver' => 'sync']]],
    ]));
    $app->singleton('events', fn ($app) => (new Dispatcher($app))->setQueueResolver(fn () => $app->make('queue')));
    $app->alias('events', EventsContract::class);
    $app->singleton('redis', fn ($app) => new RedisManager($app, 'phpredis', $app['config']['database.redis']));
    $app->singleton(BroadcastManager::class, fn ($app) => new BroadcastManager($app));
    $app->alias(BroadcastManager::class, BroadcastFactory::class);
    $app->singleton(BusDispatcher::class, fn ($app) => new BusDispatcher($app));
    $app->alias(BusDispatcher::class, BusDispatcherContract::class);
    $app->singleton('queue', function ($app) {
        $manager = new QueueManager($app);
        $manager->addConnector('sync', fn () => new SyncConnector());
        return $manager;
    });
    $app->singleton(ChannelManager::class, fn ($app) => new ChannelManager($app));
    $app->alias(ChannelManager::class, NotificationsContract::class);
    // The page's request: Echo's interceptors send its socket id as X-Socket-ID.
    $app->instance('request', Request::create('/orders/2/ship', 'POST', [], [], [], ['HTTP_X_SOCKET_ID' => $socket]));

    if ($last !== null) {
        foreach (range((int) $first, (int) $last) as $n) {
            broadcast(new OrderShipped($n));
        }
        echo "published\n";
        exit(0);
    }
    broadcast(new OrderShipped(1));
    broadcast(new OrderShipped(2))->toOthers();
    (new User($userId))->notify(new InvoicePaid(3));
    echo "published\n";
}
