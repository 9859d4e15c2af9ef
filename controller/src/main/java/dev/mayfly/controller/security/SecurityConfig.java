package dev.mayfly.controller.security;

import dev.mayfly.controller.web.ProblemAdvice;
import java.util.List;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;

/**
 * Stateless HTTP Basic. The password check is a constant-time comparison with the
 * configured secret (no bcrypt per request: the API benchmark measures the controller,
 * not a KDF). Failures answer 401 problem+json with {@code WWW-Authenticate}.
 */
@Configuration(proxyBeanMethods = false)
public class SecurityConfig {

  @Bean
  AuthenticationManager authenticationManager(AdminCredentials creds) {
    AuthenticationProvider provider = new AuthenticationProvider() {
      @Override
      public Authentication authenticate(Authentication a) {
        String user = a.getName();
        Object pw = a.getCredentials();
        if (!creds.matches(user, pw == null ? null : pw.toString())) {
          throw new BadCredentialsException("bad credentials");
        }
        return UsernamePasswordAuthenticationToken.authenticated(user, null,
            List.of(new SimpleGrantedAuthority("ROLE_ADMIN")));
      }

      @Override
      public boolean supports(Class<?> type) {
        return UsernamePasswordAuthenticationToken.class.isAssignableFrom(type);
      }
    };
    return new ProviderManager(provider);
  }

  @Bean
  SecurityFilterChain apiSecurity(HttpSecurity http, AuthenticationManager manager) throws Exception {
    AuthenticationEntryPoint entry = (req, res, ex) -> {
      // the dashboard sends X-Requested-With so browsers show no Basic login popup (it has its own sign-in)
      if (!"XMLHttpRequest".equals(req.getHeader("X-Requested-With"))) {
        res.setHeader("WWW-Authenticate", "Basic realm=\"mayfly\"");
      }
      ProblemAdvice.writeRaw(res, 401, "unauthorized", "Unauthorized",
          "HTTP Basic authentication as user 'admin' is required", req.getRequestURI());
    };
    AccessDeniedHandler denied = (req, res, ex) -> ProblemAdvice.writeRaw(res, 403, "forbidden", "Forbidden",
        "access denied", req.getRequestURI());
    http
        .authenticationManager(manager)
        .csrf(c -> c.disable())
        .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .httpBasic(b -> b.authenticationEntryPoint(entry))
        .exceptionHandling(e -> e.authenticationEntryPoint(entry).accessDeniedHandler(denied))
        .authorizeHttpRequests(a -> a
            .requestMatchers("/actuator/health", "/actuator/health/**").permitAll()
            .requestMatchers("/api/**", "/actuator/**").authenticated()
            .anyRequest().permitAll());
    return http.build();
  }
}
